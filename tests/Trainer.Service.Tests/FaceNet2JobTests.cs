using Azure;
using Heads.Core.Contracts;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using Heads.Testing;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Trainer.Service.Jobs;

namespace Trainer.Service.Tests;

/// <summary>
/// FaceNet2 fanned out over trainer replicas that compete on one shard queue, with everything decided from storage:
/// a replica stopped mid-shard, a restart that resumes, and completion checks racing for the one manifest write.
/// </summary>
public sealed class FaceNet2JobTests(RealInfrastructure infrastructure) : IAsyncLifetime
{
    private const int Stride = 32; // 1024 of the 32768 voxels vary: 128 networks per 4096-voxel shard, the rest pruned
    private readonly List<TrainerHost> _hosts = [];
    private TrainerEvents? _events;

    private TrainerEvents Events => _events!;

    public async ValueTask InitializeAsync() => _events = await TrainerEvents.StartAsync(infrastructure);

    public async ValueTask DisposeAsync()
    {
        if (_events is not null) await _events.DisposeAsync();
        foreach (var host in _hosts) await host.DisposeAsync();
    }

    private TrainerHost Start(string replica, int threads = 1)
    {
        var host = TrainerHost.Start(infrastructure, replica, threads);
        _hosts.Add(host);
        return host;
    }

    private async Task<string> DatasetAsync()
    {
        var id = $"fn2-{Guid.NewGuid():N}"[..24];
        await TestDatasets.WriteFaceNetAsync(Storage.Blobs(infrastructure), id, train: 12, heldOut: 4, stride: Stride, seed: 7);
        return id;
    }

    private static StartTraining Command(string dataset, int epochs, int shardSize = 4096) => new()
    {
        JobId = Guid.NewGuid(),
        Model = TrainingModel.FaceNet2,
        DatasetId = dataset,
        Epochs = epochs,
        BatchSize = 6,
        LearningRate = 0.003,
        ShardSize = shardSize,
        Seed = 5,
    };

    /// <summary>The committed shards of a job (those with a manifest) from the blob names alone; each has its weights.</summary>
    private async Task<IReadOnlyList<VoxelShardRange>> StoredShardsAsync(Guid jobId, bool complete = false)
    {
        var folder = TrainingJobLayout.ShardsFolder(jobId);
        var names = await Storage.ListAsync(Storage.Models(infrastructure), folder);
        var manifests = names.Where(n => n.EndsWith(".json", StringComparison.Ordinal)).Select(n => Range(n[folder.Length..^5])).ToList();
        var weights = names.Where(n => n.EndsWith(".safetensors", StringComparison.Ordinal)).Select(n => Range(n[folder.Length..^12])).ToHashSet();
        Assert.All(manifests, m => Assert.Contains(m, weights));
        Assert.Equal(names.Count, manifests.Count + weights.Count);
        if (complete) Assert.Equal(manifests.Count, weights.Count);
        return manifests;

        static VoxelShardRange Range(string name) => VoxelShardRange.TryParse(name, out var r) ? r : throw new InvalidDataException($"'{name}' is not a shard name.");
    }

    /// <summary>ETags of the committed shards' manifests and weights.</summary>
    private async Task<Dictionary<string, ETag>> CommittedETagsAsync(Guid jobId)
    {
        var committed = (await StoredShardsAsync(jobId)).ToHashSet();
        var tags = new Dictionary<string, ETag>();
        await foreach (var item in Storage.Models(infrastructure).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None,
            TrainingJobLayout.ShardsFolder(jobId), TestContext.Current.CancellationToken))
        {
            var stem = Path.GetFileNameWithoutExtension(item.Name);
            if (VoxelShardRange.TryParse(stem, out var range) && committed.Contains(range)) tags[item.Name] = item.Properties.ETag!.Value;
        }
        return tags;
    }

    private async Task<TrainingJobManifest> ManifestAsync(Guid jobId) =>
        TrainingJobManifest.Parse((await Storage.Models(infrastructure).GetBlobClient(TrainingJobLayout.ManifestBlob(jobId))
            .DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToMemory().Span);

    private async Task ExpectOneModelTrainedAsync(Guid jobId)
    {
        await TrainerEvents.WaitForAsync(Events.ModelTrained, e => e.JobId == jobId, TimeSpan.FromSeconds(10), "ModelTrained");
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.Single(Events.ModelTrained, e => e.JobId == jobId);
    }

    [Fact]
    public async Task Shards_spread_over_two_replicas_and_one_killed_mid_shard_loses_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = await DatasetAsync();
        await using var a = await ServiceProcess.StartTrainerAsync(infrastructure, "replica-a");
        var command = Command(dataset, epochs: 40);
        await Events.Publisher.Publish(command, ct);

        // replica-a alone takes the first shard; replica-b joins once it is stored. So when replica-a acknowledges it, the
        // queue still holds shards and replica-a takes another at once, in which it is killed early (no acknowledgement,
        // no goodbye, as a crashed machine). Started together, the broker may hand every other shard to replica-b first.
        TrainerHost? b = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        VoxelShardRange? interrupted = null;
        var models = new TrainedModelStore(new HeadsBlobContainers(Storage.Blobs(infrastructure)));
        var jobs = new TrainingJobStore(new HeadsBlobContainers(Storage.Blobs(infrastructure)));
        while (interrupted is null)
        {
            var stored = (await models.ListStoredShardsAsync(command.JobId, ct)).ToHashSet();
            var progress = await jobs.ReadShardProgressAsync(command.JobId, ct);
            bool storedOne = Events.ShardsTrained.Any(e => e.JobId == command.JobId && e.Replica == "replica-a");
            if (storedOne) b ??= Start("replica-b");
            interrupted = progress.Where(p => storedOne && p.Progress.Replica == "replica-a" && !p.Progress.Finished && p.Progress.Fraction < 0.5 && !stored.Contains(p.Range))
                .Select(p => p.Range).FirstOrDefault();
            Assert.True(DateTime.UtcNow < deadline, $"replica-a never stored a shard and started another. Stored: {string.Join(", ", stored)}; " +
                $"progress: {string.Join(", ", progress.Select(p => $"{p.Range} {p.Progress.Replica} {p.Progress.Fraction:P0}{(p.Progress.Finished ? " finished" : "")}"))}\n{a.Output}");
            if (interrupted is null) await Task.Delay(50, ct);
        }
        await a.KillAsync();

        var status = await b!.WaitForStateAsync(command.JobId, TimeSpan.FromSeconds(120), TrainingJobState.Completed, TrainingJobState.Failed);
        Assert.True(status.State == TrainingJobState.Completed, status.Error);
        Assert.Equal((8, 8, 0), (status.ShardsDone, status.ShardsTotal, status.ShardsRunning));
        Assert.Equal(["replica-a", "replica-b"], status.Replicas);

        var shards = await StoredShardsAsync(command.JobId, complete: true);
        Assert.Equal(8, shards.Count);
        VoxelShardPlan.CheckCoverage(shards);

        var announced = Events.ShardsTrained.Where(e => e.JobId == command.JobId).ToList();
        Assert.Contains(announced, e => e.FirstVoxel == interrupted.First && e.Replica == "replica-b");
        Assert.Equal(8, announced.Select(e => e.FirstVoxel).Distinct().Count());
        Assert.DoesNotContain(announced, e => e.FirstVoxel == interrupted.First && e.Replica == "replica-a");
        Assert.All(announced, e => Assert.Equal(4096 - 4096 / Stride, e.PrunedVoxels));
        await ExpectOneModelTrainedAsync(command.JobId);

        var manifest = await ManifestAsync(command.JobId);
        Assert.Equal(8, manifest.Shards.Count);
        Assert.Equal(32768 - 32768 / Stride, manifest.PrunedVoxels);
        Assert.Equal(40, manifest.EpochLosses.Count);
        Assert.True(manifest.EpochLosses[^1] < manifest.EpochLosses[0], $"loss {manifest.EpochLosses[0]:G4} → {manifest.EpochLosses[^1]:G4}");
        Assert.Equal(4, manifest.Quality!.HeldOutCount);
        Assert.Equal(4096, (int)manifest.HyperParameters!["shardSize"]!);
    }

    [Fact]
    public async Task A_restarted_trainer_resumes_from_the_stored_shards_without_retraining_them()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = await DatasetAsync();
        var models = new TrainedModelStore(new HeadsBlobContainers(Storage.Blobs(infrastructure)));
        var first = Start("replica-first", threads: 2);
        var command = Command(dataset, epochs: 30);
        await Events.Publisher.Publish(command, ct);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await models.ListStoredShardsAsync(command.JobId, ct)).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "No two shards stored in time.");
            await Task.Delay(50, ct);
        }
        // A graceful stop in the middle of the third shard: the consumer is cancelled and its message goes back to the queue.
        await first.DisposeAsync();
        Assert.Equal(TrainingJobState.Running, (await new TrainingJobStore(new HeadsBlobContainers(Storage.Blobs(infrastructure))).FindAsync(command.JobId, ct))!.State);
        var before = await CommittedETagsAsync(command.JobId);
        var storedBefore = await StoredShardsAsync(command.JobId);
        Assert.InRange(storedBefore.Count, 2, 7);
        Assert.Equal(storedBefore.Count * 2, before.Count);

        var second = Start("replica-second", threads: 2);
        // A redelivered StartTraining re-publishes only the shards not yet stored.
        int published = Events.ShardCommands.Count(c => c.JobId == command.JobId);
        await Events.Publisher.Publish(command, ct);
        var status = await second.WaitForStateAsync(command.JobId, TimeSpan.FromSeconds(120), TrainingJobState.Completed, TrainingJobState.Failed);
        Assert.True(status.State == TrainingJobState.Completed, status.Error);
        Assert.Equal(8, published);
        Assert.InRange(Events.ShardCommands.Count(c => c.JobId == command.JobId) - published, 1, 8 - storedBefore.Count);

        var after = await CommittedETagsAsync(command.JobId);
        foreach (var (name, etag) in before) Assert.Equal(etag, after[name]);
        var retrained = Events.ShardsTrained.Where(e => e.JobId == command.JobId && e.Replica == "replica-second").Select(e => e.FirstVoxel).ToList();
        Assert.DoesNotContain(retrained, voxel => storedBefore.Any(s => s.First == voxel));
        Assert.Equal(8 - storedBefore.Count, retrained.Distinct().Count());
        VoxelShardPlan.CheckCoverage(await StoredShardsAsync(command.JobId, complete: true));
        await ExpectOneModelTrainedAsync(command.JobId);
    }

    [Fact]
    public async Task Racing_completion_checks_commit_the_manifest_once_and_publish_ModelTrained_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = await DatasetAsync();
        var host = Start("replica-race", threads: 2);
        var command = Command(dataset, epochs: 2, shardSize: 16384);

        // Store every shard directly, so no completion check has run yet.
        var jobs = host.Service<TrainingJobStore>();
        var models = host.Service<TrainedModelStore>();
        await jobs.CreateAsync(TrainingJobOutcomes.NewJob(command) with { State = TrainingJobState.Running, StartedAt = DateTimeOffset.UtcNow }, ct);
        var data = await host.Service<TrainingDatasets>().LoadFaceNetAsync(dataset, ct);
        foreach (var range in VoxelShardPlan.Split(16384))
        {
            using var shard = VoxelShardTrainer.Train(data.Fit, range.First, range.Count, TrainingJobOptions.FaceNet2(command, 2));
            using var weights = new MemoryStream();
            var manifest = shard.Save(weights);
            Assert.Equal(ShardCommit.Stored, await models.CommitShardAsync(command.JobId, range, weights, manifest, ct));
            Assert.Equal(ShardCommit.AlreadyStored, await models.CommitShardAsync(command.JobId, range, weights, manifest, ct));
        }

        // Three checks start together, each sees every shard and no manifest, assembles and evaluates, then races for the write.
        var assembly = host.Service<FaceNet2Assembly>();
        var bus = host.Service<IBus>();
        var results = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => assembly.TryCompleteAsync(command.JobId, bus, ct), ct)));
        Assert.Single(results, r => r == CompletionCheck.Committed);
        Assert.Equal(2, results.Count(r => r == CompletionCheck.AlreadyCommitted));
        await ExpectOneModelTrainedAsync(command.JobId);
        Assert.Equal(CompletionCheck.JobFinished, await assembly.TryCompleteAsync(command.JobId, bus, ct));
        var status = await host.StatusAsync(command.JobId);
        Assert.Equal((TrainingJobState.Completed, 2), (status.State, status.ShardsDone));
        Assert.Equal(2, (await ManifestAsync(command.JobId)).Shards.Count);
    }

    [Fact]
    public async Task A_shard_that_cannot_train_fails_the_job_naming_its_voxels_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var id = $"bad-{Guid.NewGuid():N}"[..24];
        // The volumes' checksum in the manifest is wrong: StartTraining sees every file present, each shard finds the mismatch.
        await TestDatasets.WriteFaceNetAsync(Storage.Blobs(infrastructure), id, train: 6, heldOut: 2, stride: Stride,
            manifestSha: (name, sha) => name == "train_y.dat" ? new string('0', 64) : sha);
        var host = Start("replica-a", threads: 2);
        var command = Command(id, epochs: 1, shardSize: 8192);
        await Events.Publisher.Publish(command, ct);

        var status = await host.WaitForStateAsync(command.JobId, TimeSpan.FromSeconds(60), TrainingJobState.Failed, TrainingJobState.Completed);
        Assert.Equal(TrainingJobState.Failed, status.State);
        Assert.Matches(@"FaceNet2 shard voxels \d+\.\.\d+ failed: .*train_y\.dat hashes to SHA-256", status.Error);
        var failed = await TrainerEvents.WaitForAsync(Events.TrainingFailed, e => e.JobId == command.JobId, TimeSpan.FromSeconds(10), "TrainingFailed");
        Assert.Equal(status.Error, failed.Reason);
        await Task.Delay(1500, ct); // every shard faults; only the first fault may fail the job and publish
        Assert.Single(Events.TrainingFailed, e => e.JobId == command.JobId);
        Assert.Empty(await StoredShardsAsync(command.JobId));
    }
}
