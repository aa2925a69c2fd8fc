using System.Diagnostics;
using Heads.Core.Training.Jobs;

namespace Heads.Faults.Tests;

/// <summary>
/// A FaceNet2 job over two trainer replicas, each its own process; one is SIGKILLed while it is inside a shard. Its
/// unacknowledged TrainVoxelShard goes back to the queue when its connection drops, the survivor trains it, and the
/// model still covers every voxel exactly once, each shard's blob matching its manifest's checksum.
/// </summary>
[Trait("Category", "Faults")]
public sealed class TrainerReplicaCrashTests : IAsyncLifetime
{
    private readonly RealInfrastructure _infrastructure = new();

    public ValueTask InitializeAsync() => _infrastructure.InitializeAsync();

    public ValueTask DisposeAsync() => _infrastructure.DisposeAsync();

    [Fact]
    public async Task A_replica_killed_mid_shard_loses_no_voxel_and_duplicates_none()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var run = await TwoReplicaRun.StartAsync(_infrastructure);
        var (jobs, dataset, a, b, observer) = (run.Jobs, run.Dataset, run.A, run.B, run.Observer);

        var command = TrainingJobs.FaceNet2(dataset, epochs: 8);
        var clock = Stopwatch.StartNew();
        await observer.Publisher.Publish(command, ct);

        // Kill replica-a once it has stored a shard and is early in its next one.
        VoxelShardRange? interrupted = null;
        await Polling.UntilAsync(async () =>
        {
            var stored = await jobs.StoredShardsAsync(command.JobId);
            bool storedOne = observer.ShardsTrained.Any(e => e.JobId == command.JobId && e.Replica == "replica-a");
            interrupted = (await jobs.ShardProgressAsync(command.JobId))
                .Where(p => storedOne && p.Replica == "replica-a" && !p.Finished && p.Fraction is > 0 and < 0.5 && !stored.Contains(p.Range))
                .Select(p => p.Range).FirstOrDefault();
            return interrupted is not null;
        }, TimeSpan.FromSeconds(90), "replica-a to store a shard and start another", run.Logs);
        await a.KillAsync();
        var killedAt = clock.Elapsed;

        // The survivor picks the interrupted shard up as soon as the broker sees the connection drop.
        await Polling.UntilAsync(async () => (await jobs.ShardProgressAsync(command.JobId)).Any(p => p.Range == interrupted && p.Replica == "replica-b"),
            TimeSpan.FromSeconds(60), $"replica-b to take over {interrupted}", run.Logs);
        var takenOverAt = clock.Elapsed;
        var completedAt = await TrainingJobs.WaitForCompletionAsync(b, command.JobId, TimeSpan.FromSeconds(240), clock, run.Logs);

        var manifest = await StoredArtifacts.VerifyFaceNet2Async(jobs.Models, command.JobId, TrainingJobs.ShardSize);
        Assert.Equal(32768 - 32768 / TrainingJobs.Stride, manifest.PrunedVoxels);
        await Task.Delay(1000, ct); // a second ModelTrained would arrive in this time
        Assert.Single(observer.ModelTrained, e => e.JobId == command.JobId);
        var announced = observer.ShardsTrained.Where(e => e.JobId == command.JobId).ToList();
        Assert.Equal(TrainingJobs.Shards, announced.Count);
        Assert.Equal(TrainingJobs.Shards, announced.Select(e => e.FirstVoxel).Distinct().Count());
        Assert.Equal("replica-b", Assert.Single(announced, e => e.FirstVoxel == interrupted!.First).Replica);
        Assert.Contains(announced, e => e.Replica == "replica-a");
        Assert.Empty(observer.TrainingFailed);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"replica-a killed at {killedAt.TotalSeconds:F1} s inside {interrupted}; replica-b took it over after {(takenOverAt - killedAt).TotalSeconds:F1} s; " +
            $"job completed at {completedAt.TotalSeconds:F1} s ({(completedAt - killedAt).TotalSeconds:F1} s after the kill); " +
            $"{announced.Count(e => e.Replica == "replica-a")} shards by replica-a, {announced.Count(e => e.Replica == "replica-b")} by replica-b");
    }
}
