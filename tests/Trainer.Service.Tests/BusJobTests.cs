using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training.Jobs;
using Heads.Testing;
using Trainer.Service.Jobs;

namespace Trainer.Service.Tests;

/// <summary>Jobs started by StartTraining on the bus, as the pipeline starts them.</summary>
public sealed class BusJobTests(RealInfrastructure infrastructure) : IAsyncLifetime
{
    private TrainerHost? _host;
    private TrainerEvents? _events;

    public async ValueTask InitializeAsync()
    {
        _host = TrainerHost.Start(infrastructure, "replica-bus");
        _events = await TrainerEvents.StartAsync(infrastructure);
    }

    public async ValueTask DisposeAsync()
    {
        if (_events is not null) await _events.DisposeAsync();
        if (_host is not null) await _host.DisposeAsync();
    }

    [Fact]
    public async Task An_unknown_dataset_fails_the_job_with_its_reason_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var command = new StartTraining { JobId = Guid.NewGuid(), Model = TrainingModel.FaceNet2, DatasetId = "never-built" };
        await _events!.Publisher.Publish(command, ct);
        var status = await _host!.WaitForStateAsync(command.JobId, TimeSpan.FromSeconds(30), TrainingJobState.Failed);
        Assert.Contains("Dataset 'never-built' does not exist", status.Error);
        var failed = await TrainerEvents.WaitForAsync(_events.TrainingFailed, e => e.JobId == command.JobId, TimeSpan.FromSeconds(10), "TrainingFailed");
        Assert.Equal(status.Error, failed.Reason);
        await Task.Delay(1000, ct); // the fault of the command must not fail (and announce) the job again
        Assert.Single(_events.TrainingFailed, e => e.JobId == command.JobId);
        Assert.Equal(command, status.Request);
    }

    [Fact]
    public async Task Commands_about_unknown_datasets_and_jobs_land_in_the_error_queue_once_with_their_reason()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = new StartTraining { JobId = Guid.NewGuid(), Model = TrainingModel.FaceNet3, DatasetId = "no-such-dataset" };
        var shard = new TrainVoxelShard { ContractVersion = HeadsCompatibility.ContractVersion, JobId = Guid.NewGuid(), DatasetId = "no-such-dataset", FirstVoxel = 0, VoxelCount = 2048 };
        await _events!.Publisher.Publish(start, ct);
        await _events.Publisher.Publish(shard, ct);

        var startFaults = await ErrorQueue.WaitForAsync(infrastructure.RabbitMqConnectionString, "trainer-start-training_error",
            seen => seen.Any(m => m.Body.Contains(start.JobId.ToString(), StringComparison.Ordinal)), TimeSpan.FromSeconds(30), ct);
        var startFault = Assert.Single(startFaults, m => m.Body.Contains(start.JobId.ToString(), StringComparison.Ordinal));
        Assert.Contains("Dataset 'no-such-dataset' does not exist", startFault.Reason);
        Assert.Equal(typeof(UnknownDatasetException).FullName, startFault.ExceptionType);

        var shardFaults = await ErrorQueue.WaitForAsync(infrastructure.RabbitMqConnectionString, "trainer-train-voxel-shard_error",
            seen => seen.Any(m => m.Body.Contains(shard.JobId.ToString(), StringComparison.Ordinal)), TimeSpan.FromSeconds(30), ct);
        var shardFault = Assert.Single(shardFaults, m => m.Body.Contains(shard.JobId.ToString(), StringComparison.Ordinal));
        Assert.Contains($"Training job {shard.JobId} does not exist", shardFault.Reason);
        Assert.Equal(typeof(UnknownTrainingJobException).FullName, shardFault.ExceptionType);

        // Not retried and not redelivered: nothing more arrives, and the replica still serves.
        await Task.Delay(1000, ct);
        Assert.DoesNotContain(await ErrorQueue.DrainAsync(infrastructure.RabbitMqConnectionString, "trainer-train-voxel-shard_error", ct),
            m => m.Body.Contains(shard.JobId.ToString(), StringComparison.Ordinal));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await _host!.Http.GetAsync("/health", ct)).StatusCode);
    }

    [Fact]
    public async Task A_HeadsNet_job_commits_weights_and_the_Chamfer_distance_of_a_generated_head()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = $"hn-{Guid.NewGuid():N}"[..24];
        await TestDatasets.WriteHeadsNetAsync(Storage.Blobs(infrastructure), dataset, trainHeads: 3, heldOutHeads: 1, points: 600);
        var command = new StartTraining { JobId = Guid.NewGuid(), Model = TrainingModel.HeadsNet, DatasetId = dataset, Epochs = 4, BatchSize = 64, LearningRate = 0.003 };
        await _events!.Publisher.Publish(command, ct);
        var trained = await TrainerEvents.WaitForAsync(_events.ModelTrained, e => e.JobId == command.JobId, TimeSpan.FromSeconds(60), "ModelTrained");
        Assert.Equal(TrainingModel.HeadsNet, trained.Model);

        var manifest = TrainingJobManifest.Parse((await Storage.Models(infrastructure).GetBlobClient(TrainingJobLayout.ManifestBlob(command.JobId))
            .DownloadContentAsync(ct)).Value.Content.ToMemory().Span);
        Assert.Equal((ModelKind.HeadsNet, 1800), (manifest.Weights!.Kind, manifest.TrainingSamples));
        Assert.Equal(4, manifest.EpochLosses.Count);
        Assert.Null(manifest.Quality);
        Assert.Equal(HeadsNetEncodingKind.SphereFourier, manifest.Weights.Encoding!.Kind);
        var cloud = manifest.PointCloud!;
        Assert.Equal((3, 3, 2), (cloud.TrainingHeads, cloud.Heads.Count, cloud.MidSeeds.Count));
        Assert.True(cloud.MedianChamfer is > 0 and < 10, $"Chamfer {cloud.MedianChamfer}");
        Assert.True(cloud.MedianCoverage is >= 0 and <= 1, $"coverage {cloud.MedianCoverage}");
        Assert.Equal(cloud.MeetsBar, cloud.Reason is null);
        Assert.Equal(1 / 8f, cloud.Heads[0].Seed);

        // The weights load back and match their manifest's checksum.
        await using var weights = await Storage.Models(infrastructure).GetBlobClient(manifest.WeightsBlob).OpenReadAsync(cancellationToken: ct);
        using var model = HeadsNetModel.Load(weights, manifest.Weights);
        Assert.Equal(600, model.Sample(cloud.Heads[0].Seed, 600).Count);
        var status = await _host!.StatusAsync(command.JobId);
        Assert.Equal((TrainingJobState.Completed, 4, 4), (status.State, status.Epoch, status.Epochs));
    }
}
