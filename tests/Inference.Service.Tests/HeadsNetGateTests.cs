using System.Collections.Concurrent;
using Inference.Service.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Service.Tests;

/// <summary>The HeadsNet gate hands out turns one block at a time, in arrival order.</summary>
public class HeadsNetGateTests
{
    private static HeadsNetGate Gate() => new(Options.Create(new InferenceOptions { MaxConcurrentHeads = 1 }));

    private static void WaitForWaiting(HeadsNetGate gate, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (gate.Waiting < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{gate.Waiting} waiting, expected {count}");
            Thread.Sleep(5);
        }
    }

    [Fact]
    public async Task A_request_coming_back_for_its_next_block_queues_behind_one_that_arrived_meanwhile()
    {
        var ct = TestContext.Current.CancellationToken;
        var gate = Gate();
        var order = new ConcurrentQueue<string>();
        var bigBlock = gate.EnterBlock(ct);
        var small = Task.Run(() => { using (gate.EnterBlock(ct)) order.Enqueue("small"); }, ct);
        WaitForWaiting(gate, 1);
        var bigNextBlock = Task.Run(() => { using (gate.EnterBlock(ct)) order.Enqueue("big"); }, ct);
        WaitForWaiting(gate, 2);
        bigBlock.Dispose();
        await Task.WhenAll(small, bigNextBlock).WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(["small", "big"], order);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task A_waiter_that_gives_up_leaves_the_queue_and_the_turn_passes_on()
    {
        var ct = TestContext.Current.CancellationToken;
        var gate = Gate();
        var held = gate.EnterBlock(ct);
        using var cts = new CancellationTokenSource();
        var leaving = Task.Run(() => gate.EnterBlock(cts.Token), ct);
        WaitForWaiting(gate, 1);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        Assert.Equal(0, gate.Waiting);
        held.Dispose();
        held.Dispose(); // a second dispose passes nothing on
        using var late = new CancellationTokenSource();
        using (gate.EnterBlock(ct))
        {
            var second = Task.Run(() => gate.EnterBlock(late.Token), ct);
            await Task.Delay(100, ct);
            Assert.False(second.IsCompleted, "two turns at once with one slot");
            late.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        }
    }
}
