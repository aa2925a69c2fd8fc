using System.Diagnostics;

namespace Heads.Faults.Tests;

/// <summary>
/// RabbitMQ stopped and started again (same node, port and data folder: durable queues with their persistent messages
/// come back) while a FaceNet2 job runs on two trainer replicas: shards are queued, some are being trained, some are
/// stored. The replicas reconnect, the job completes, every voxel is in exactly one shard, and ModelTrained goes out once.
/// </summary>
[Trait("Category", "Faults")]
public sealed class BrokerRestartTests : IAsyncLifetime
{
    private readonly RealInfrastructure _infrastructure = new();

    public ValueTask InitializeAsync() => _infrastructure.InitializeAsync();

    public ValueTask DisposeAsync() => _infrastructure.DisposeAsync();

    [Fact]
    public async Task A_training_job_survives_a_broker_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await TwoReplicaRun.StartAsync(_infrastructure);
        var (jobs, dataset, b, observer) = (run.Jobs, run.Dataset, run.B, run.Observer);

        var command = TrainingJobs.FaceNet2(dataset, epochs: 20);
        var clock = Stopwatch.StartNew();
        await observer.Publisher.Publish(command, ct);

        // Restart the broker with shards stored, shards in training and shards still queued.
        int storedBefore = 0;
        await Polling.UntilAsync(async () =>
        {
            storedBefore = (await jobs.StoredShardsAsync(command.JobId)).Count;
            return storedBefore >= 2 && (await jobs.ShardProgressAsync(command.JobId)).Any(p => !p.Finished && p.Fraction is > 0 and < 0.5);
        }, TimeSpan.FromSeconds(120), "two shards stored and another under way", run.Logs);
        Assert.InRange(storedBefore, 2, TrainingJobs.Shards - 3);
        var stoppedAt = clock.Elapsed; // from the stop request until the port is open again
        await _infrastructure.StopAsync("rabbitmq");
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        await _infrastructure.StartRabbitMqAsync();
        var restartedAt = clock.Elapsed;

        // Events published after the restart reach the observer: the replicas and the observer have reconnected.
        int eventsBefore = observer.ShardsTrained.Count;
        await Polling.UntilAsync(() => Task.FromResult(observer.ShardsTrained.Count > eventsBefore || observer.ModelTrained.Any(e => e.JobId == command.JobId)),
            TimeSpan.FromSeconds(120), "an event through the restarted broker", run.Logs);
        var reconnectedAt = clock.Elapsed;
        var completedAt = await TrainingJobs.WaitForCompletionAsync(b, command.JobId, TimeSpan.FromSeconds(240), clock, run.Logs);

        await StoredArtifacts.VerifyFaceNet2Async(jobs.Models, command.JobId, TrainingJobs.ShardSize);
        await Polling.UntilAsync(() => Task.FromResult(observer.ModelTrained.Any(e => e.JobId == command.JobId)), TimeSpan.FromSeconds(30), "ModelTrained", run.Logs);
        await Task.Delay(1000, ct); // a second ModelTrained would arrive in this time
        Assert.Single(observer.ModelTrained, e => e.JobId == command.JobId);
        Assert.Empty(observer.TrainingFailed);
        var announced = observer.ShardsTrained.Where(e => e.JobId == command.JobId).ToList();
        Assert.Equal(announced.Count, announced.Select(e => e.FirstVoxel).Distinct().Count());

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"broker stopped at {stoppedAt.TotalSeconds:F1} s with {storedBefore}/{TrainingJobs.Shards} shards stored, back at {restartedAt.TotalSeconds:F1} s " +
            $"({(restartedAt - stoppedAt).TotalSeconds:F1} s down); first event through it {(reconnectedAt - restartedAt).TotalSeconds:F1} s later; " +
            $"job completed at {completedAt.TotalSeconds:F1} s ({(completedAt - restartedAt).TotalSeconds:F1} s after the restart); " +
            $"{announced.Count}/{TrainingJobs.Shards} VoxelShardTrained events seen");
    }
}
