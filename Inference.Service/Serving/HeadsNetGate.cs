using Microsoft.Extensions.Options;

namespace Inference.Service.Serving;

/// <summary>
/// Shares the cores between HeadsNet requests one block of points at a time, in arrival order
/// (Inference:MaxConcurrentHeads blocks at once). Holding the cores for a whole head made a 100-point request wait out
/// every 1,000,000-point request ahead of it (29 s); now a request waits at most one block (2,048 points, about a
/// millisecond) of each request ahead of it in the queue, and a big request that comes back for its next block queues
/// behind whoever arrived meanwhile.
/// </summary>
public sealed class HeadsNetGate(IOptions<InferenceOptions> options)
{
    private readonly Lock _sync = new();
    private readonly LinkedList<Waiter> _queue = new();
    private int _free = Math.Max(1, options.Value.MaxConcurrentHeads);

    /// <summary>Takes a turn for one block, blocking this thread until it is the caller's turn; dispose to pass it on.</summary>
    public IDisposable EnterBlock(CancellationToken cancellationToken)
    {
        LinkedListNode<Waiter> node;
        lock (_sync)
        {
            if (_free > 0 && _queue.Count == 0)
            {
                _free--;
                return new Turn(this);
            }
            node = _queue.AddLast(new Waiter());
        }
        using var signal = node.Value.Signal;
        try
        {
            signal.Wait(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            lock (_sync)
            {
                if (!node.Value.Granted)
                {
                    _queue.Remove(node);
                    throw;
                }
            }
            // Handed the turn just as the caller gave up: pass it on.
            Release();
            throw;
        }
        return new Turn(this);
    }

    /// <summary>Requests waiting for a turn now.</summary>
    public int Waiting
    {
        get
        {
            lock (_sync) return _queue.Count;
        }
    }

    private void Release()
    {
        lock (_sync)
        {
            if (_queue.First is { } next)
            {
                _queue.RemoveFirst();
                next.Value.Granted = true;
                next.Value.Signal.Set();
            }
            else
            {
                _free++;
            }
        }
    }

    private sealed class Waiter
    {
        public ManualResetEventSlim Signal { get; } = new();
        public bool Granted { get; set; }
    }

    private sealed class Turn(HeadsNetGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) gate.Release();
        }
    }
}
