using System.Net;
using System.Net.Http.Json;
using Heads.Core.Contracts;
using Heads.Testing;
using Trainer.Service.Jobs;

namespace Trainer.Service.Tests;

/// <summary>The default pipeline's training step: a built dataset starts the configured models, once.</summary>
public sealed class PipelineTrainingTests(RealInfrastructure infrastructure) : IAsyncLifetime
{
    private TrainerHost? _host;
    private TrainerEvents? _events;

    public async ValueTask InitializeAsync()
    {
        _host = TrainerHost.Start(infrastructure, "replica-pipeline", settings: new Dictionary<string, string>
        {
            ["Trainer:Pipeline:TrainOnDataset"] = "true",
            ["Trainer:Pipeline:Models"] = "HeadsNet,FaceNet3",
            ["Trainer:Pipeline:HeadsNet:Epochs"] = "1",
            ["Trainer:Pipeline:HeadsNet:BatchSize"] = "64",
        });
        _events = await TrainerEvents.StartAsync(infrastructure);
    }

    public async ValueTask DisposeAsync()
    {
        if (_events is not null) await _events.DisposeAsync();
        if (_host is not null) await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_built_dataset_trains_the_pipeline_models_of_its_kind_once_even_when_announced_twice()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = $"pipe-{Guid.NewGuid():N}"[..20];
        await TestDatasets.WriteHeadsNetAsync(Storage.Blobs(infrastructure), dataset, trainHeads: 2, heldOutHeads: 1, points: 300);
        var built = new DatasetBuilt { DatasetId = dataset, Kind = DatasetKind.HeadsNet, HeadCount = 3, TrainRows = 600, HeldOutRows = 300, ManifestBlob = $"datasets/{dataset}/manifest.json" };
        await _events!.Publisher.Publish(built, ct);
        await _events.Publisher.Publish(built, ct);

        var jobId = PipelineTraining.JobIdFor(dataset, TrainingModel.HeadsNet);
        var trained = await TrainerEvents.WaitForAsync(_events.ModelTrained, e => e.JobId == jobId, TimeSpan.FromSeconds(90), "pipeline ModelTrained");
        Assert.Equal(TrainingModel.HeadsNet, trained.Model);
        var status = await _host!.StatusAsync(jobId);
        Assert.Equal(1, status.Request!.Epochs);
        await Task.Delay(1500, ct);
        Assert.Single(_events.ModelTrained, e => e.JobId == jobId);
        // FaceNet3 does not fit a HeadsNet dataset: no job for it.
        Assert.Null(await _host.Service<TrainingJobStore>().FindAsync(PipelineTraining.JobIdFor(dataset, TrainingModel.FaceNet3), ct));
    }

    [Fact]
    public async Task The_dashboard_command_refuses_an_unknown_model()
    {
        var response = await _host!.Http.PostAsJsonAsync("/api/v1/training-jobs/latest-dataset", new { model = "FaceNet9" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
