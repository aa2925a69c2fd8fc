using System.Net;
using System.Net.Http.Json;
using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using Heads.Testing;
using Microsoft.AspNetCore.Mvc;
using Trainer.Service.Jobs;

[assembly: AssemblyFixture(typeof(RealInfrastructure))]
// The tests train real networks on two cores; running them one at a time keeps their timings meaningful.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace Trainer.Service.Tests;

/// <summary>The HTTP API of one trainer replica against real RabbitMQ and Azurite; a separate bus listens for the events.</summary>
public sealed class TrainingJobsApiTests(RealInfrastructure infrastructure) : IAsyncLifetime
{
    private TrainerHost? _host;
    private TrainerEvents? _events;

    private TrainerHost Host => _host!;
    private TrainerEvents Events => _events!;

    public async ValueTask InitializeAsync()
    {
        _host = TrainerHost.Start(infrastructure, "replica-http");
        _events = await TrainerEvents.StartAsync(infrastructure);
    }

    public async ValueTask DisposeAsync()
    {
        if (_events is not null) await _events.DisposeAsync();
        if (_host is not null) await _host.DisposeAsync();
    }

    private static string NewDatasetId(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    private async Task<(HttpResponseMessage Response, TrainingJobStatus? Status)> PostAsync(object request)
    {
        var response = await Host.Http.PostAsJsonAsync("/api/v1/training-jobs", request, TestContext.Current.CancellationToken);
        var status = response.StatusCode == HttpStatusCode.Accepted
            ? await response.Content.ReadFromJsonAsync<TrainingJobStatus>(TrainerHost.Json, TestContext.Current.CancellationToken)
            : null;
        return (response, status);
    }

    [Fact]
    public async Task A_FaceNet3_job_runs_to_a_committed_model_with_a_quality_report_and_one_ModelTrained()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = NewDatasetId("fn3");
        await TestDatasets.WriteFaceNetAsync(Storage.Blobs(infrastructure), dataset, train: 12, heldOut: 4);

        var (response, queued) = await PostAsync(new { model = "FaceNet3", datasetId = dataset, epochs = 3, batchSize = 6, learningRate = 0.003 });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal($"/api/v1/training-jobs/{queued!.JobId}", response.Headers.Location?.OriginalString);
        Assert.Equal(TrainingJobState.Queued, queued.State);
        Assert.Equal(3, queued.Request.Epochs);

        var done = await Host.WaitForStateAsync(queued.JobId, TimeSpan.FromSeconds(90), TrainingJobState.Completed, TrainingJobState.Failed);
        Assert.True(done.State == TrainingJobState.Completed, done.Error);
        Assert.Equal((3, 3, 1.0), (done.Epoch, done.Epochs, done.Progress));
        Assert.True(done.LatestLoss > 0 && done.SamplesPerSecond > 0);
        Assert.Equal(["replica-http"], done.Replicas);
        Assert.Equal($"models/{queued.JobId:D}/manifest.json", done.ManifestBlob);
        Assert.NotNull(done.Quality);

        var models = Storage.Models(infrastructure);
        var manifest = TrainingJobManifest.Parse((await models.GetBlobClient(TrainingJobLayout.ManifestBlob(queued.JobId)).DownloadContentAsync(ct)).Value.Content.ToMemory().Span);
        // 12 training heads: 2 are validation heads (thresholds, curves), 10 are fitted.
        Assert.Equal((TrainingModel.FaceNet3, dataset, 10), (manifest.Model, manifest.DatasetId, manifest.TrainingSamples));
        Assert.Equal(3, manifest.EpochLosses.Count);
        Assert.Equal(3, manifest.ValidationLosses.Count);
        Assert.Equal(4, manifest.Quality!.HeldOutCount);
        Assert.Equal(2, manifest.Quality.ValidationCount);
        Assert.InRange(manifest.Quality.Model.OccupancyIoU, 0, 1);
        Assert.InRange(manifest.Quality.Model.ThresholdIoU, 0, 1);
        Assert.Equal(4, manifest.Quality.PerHead!.Count);
        Assert.NotNull(manifest.Quality.VersusRidge);
        // Three epochs on ten heads cannot beat ridge on four held-out heads: the gate stores it, but not as a default.
        Assert.False(manifest.Promotion!.Promoted);
        Assert.StartsWith("not promoted", manifest.Promotion.Reason);
        Assert.Equal(3, (int)manifest.HyperParameters!["epochs"]!);
        var weights = await models.GetBlobClient(manifest.WeightsBlob).GetPropertiesAsync(cancellationToken: ct);
        Assert.Equal(manifest.Weights!.WeightsBytes, weights.Value.ContentLength);

        var trained = await TrainerEvents.WaitForAsync(Events.ModelTrained, e => e.JobId == queued.JobId, TimeSpan.FromSeconds(10), "ModelTrained");
        Assert.Equal((TrainingModel.FaceNet3, dataset, done.ManifestBlob), (trained.Model, trained.DatasetId, trained.ManifestBlob));
        await Task.Delay(500, ct);
        Assert.Single(Events.ModelTrained, e => e.JobId == queued.JobId);

        var list = await Host.Http.GetFromJsonAsync<List<TrainingJobStatus>>("/api/v1/training-jobs", TrainerHost.Json, ct);
        Assert.Contains(list!, s => s.JobId == queued.JobId && s.State == TrainingJobState.Completed);
        Assert.Equal(HttpStatusCode.Conflict, (await Host.Http.DeleteAsync($"/api/v1/training-jobs/{queued.JobId}", ct)).StatusCode);
    }

    [Fact]
    public async Task A_running_job_shows_progress_and_stops_when_cancelled()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = NewDatasetId("cancel");
        await TestDatasets.WriteFaceNetAsync(Storage.Blobs(infrastructure), dataset, train: 12, heldOut: 2);
        var (_, queued) = await PostAsync(new { model = "FaceNet3", datasetId = dataset, epochs = TrainingLimits.MaxEpochs });
        var id = queued!.JobId;

        var deadline = DateTime.UtcNow.AddSeconds(60);
        TrainingJobStatus running;
        while (true)
        {
            running = await Host.StatusAsync(id);
            if (running is { State: TrainingJobState.Running, Epoch: >= 2 }) break;
            Assert.True(DateTime.UtcNow < deadline, $"No progress: {running.State}, epoch {running.Epoch}, error {running.Error}");
            await Task.Delay(50, ct);
        }
        Assert.Equal(TrainingLimits.MaxEpochs, running.Epochs);
        Assert.True(running.LatestLoss > 0 && running.SamplesPerSecond > 0 && running.EtaSeconds > 0, $"loss {running.LatestLoss}, rate {running.SamplesPerSecond}, eta {running.EtaSeconds}");

        var cancel = await Host.Http.DeleteAsync($"/api/v1/training-jobs/{id}", ct);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(TrainingJobState.Cancelled, (await cancel.Content.ReadFromJsonAsync<TrainingJobStatus>(TrainerHost.Json, ct))!.State);
        Assert.Equal(HttpStatusCode.Conflict, (await Host.Http.DeleteAsync($"/api/v1/training-jobs/{id}", ct)).StatusCode);

        // The replica notices the marker within a progress interval; after that the epochs stop advancing.
        await Task.Delay(1000, ct);
        int? epoch = (await Host.StatusAsync(id)).Epoch;
        await Task.Delay(1000, ct);
        var after = await Host.StatusAsync(id);
        Assert.Equal(epoch, after.Epoch);
        Assert.Equal(TrainingJobState.Cancelled, after.State);
        Assert.False((await Storage.Models(infrastructure).GetBlobClient(TrainingJobLayout.ManifestBlob(id)).ExistsAsync(ct)).Value);
        var failed = await TrainerEvents.WaitForAsync(Events.TrainingFailed, e => e.JobId == id, TimeSpan.FromSeconds(5), "TrainingFailed");
        Assert.Contains("Cancelled", failed.Reason);
        Assert.Single(Events.TrainingFailed, e => e.JobId == id);
        Assert.DoesNotContain(Events.ModelTrained, e => e.JobId == id);
    }

    [Fact]
    public async Task A_cancelled_FaceNet2_job_stops_its_shards_and_commits_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataset = NewDatasetId("fn2c");
        await TestDatasets.WriteFaceNetAsync(Storage.Blobs(infrastructure), dataset, train: 12, heldOut: 2, stride: 32);
        var (_, queued) = await PostAsync(new { model = "FaceNet2", datasetId = dataset, epochs = 5000, shardSize = 4096 });
        var id = queued!.JobId;
        Assert.Equal(8, queued.ShardsTotal);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        TrainingJobStatus running;
        while (true)
        {
            running = await Host.StatusAsync(id);
            if (running is { State: TrainingJobState.Running, ShardsRunning: 1, Epoch: >= 1 }) break;
            Assert.True(DateTime.UtcNow < deadline, $"No shard running: {running.State}, {running.ShardsRunning} running, error {running.Error}");
            await Task.Delay(50, ct);
        }
        Assert.True(running.EtaSeconds > 0 && running.Progress is > 0 and < 1 && running.SamplesPerSecond > 0, $"eta {running.EtaSeconds}, progress {running.Progress}");
        Assert.Equal(["replica-http"], running.Replicas);

        Assert.Equal(HttpStatusCode.Accepted, (await Host.Http.DeleteAsync($"/api/v1/training-jobs/{id}", ct)).StatusCode);
        await Task.Delay(1000, ct);
        var progress = await Host.Service<TrainingJobStore>().ReadShardProgressAsync(id, ct);
        await Task.Delay(1000, ct);
        // The running shard stopped (its progress froze) and the queued ones were skipped: nothing stored, nothing committed.
        Assert.Equal(progress.Select(p => p.Progress.UpdatedAt), (await Host.Service<TrainingJobStore>().ReadShardProgressAsync(id, ct)).Select(p => p.Progress.UpdatedAt));
        var after = await Host.StatusAsync(id);
        Assert.Equal((TrainingJobState.Cancelled, 0, 0), (after.State, after.ShardsDone, after.ShardsRunning));
        Assert.False((await Storage.Models(infrastructure).GetBlobClient(TrainingJobLayout.ManifestBlob(id)).ExistsAsync(ct)).Value);
        Assert.Single(Events.TrainingFailed, e => e.JobId == id);
    }

    [Fact]
    public async Task An_unknown_dataset_is_404_and_bad_requests_are_400_problem_details()
    {
        var ct = TestContext.Current.CancellationToken;
        var (missing, _) = await PostAsync(new { model = "FaceNet3", datasetId = "no-such-dataset" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var problem = await missing.Content.ReadFromJsonAsync<ProblemDetails>(ct);
        Assert.Equal("Unknown dataset", problem!.Title);
        Assert.Contains("no-such-dataset", problem.Detail);

        var headsNet = NewDatasetId("hn");
        await TestDatasets.WriteHeadsNetAsync(Storage.Blobs(infrastructure), headsNet, 1, 1, 10);
        foreach (var (request, title) in new (object, string)[]
        {
            (new { model = "FaceNet9", datasetId = headsNet }, "Unknown model"),
            (new { model = "FaceNet3", datasetId = "Bad_Id" }, "Invalid dataset id"),
            (new { model = "FaceNet3", datasetId = headsNet, batchSize = 0 }, "Invalid hyper-parameters"),
            (new { model = "FaceNet3", datasetId = headsNet, shardSize = 1024 }, "Invalid hyper-parameters"),
            (new { model = "FaceNet2", datasetId = headsNet, shardSize = 0 }, "Invalid hyper-parameters"),
            (new { model = "HeadsNet", datasetId = headsNet, encoding = "fourier" }, "Invalid hyper-parameters"),
            (new { model = "FaceNet3", datasetId = headsNet }, "Wrong dataset kind"),
        })
        {
            var (response, _) = await PostAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(title, (await response.Content.ReadFromJsonAsync<ProblemDetails>(ct))!.Title);
        }
        // The HeadsNet encoding reaches the command (the job's request) as given.
        var (original, queued) = await PostAsync(new { model = "HeadsNet", datasetId = headsNet, epochs = 1, encoding = "Original" });
        Assert.Equal(HttpStatusCode.Accepted, original.StatusCode);
        Assert.Equal("Original", queued!.Request.Encoding);
        var done = await Host.WaitForStateAsync(queued.JobId, TimeSpan.FromSeconds(90), TrainingJobState.Completed, TrainingJobState.Failed);
        Assert.Equal(TrainingJobState.Completed, done.State);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync($"/api/v1/training-jobs/{Guid.NewGuid()}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.DeleteAsync($"/api/v1/training-jobs/{Guid.NewGuid()}", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Host.Http.GetAsync("/api/v1/training-jobs?limit=0", ct)).StatusCode);
    }
}
