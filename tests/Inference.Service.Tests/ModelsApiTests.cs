using Heads.Core.Contracts;
using Inference.Service.Apis;

namespace Inference.Service.Tests;

public sealed partial class ServingTests
{
    [Fact]
    public async Task The_list_shows_served_models_newest_first_with_quality_and_manifest_and_the_broken_job_with_its_reason()
    {
        var models = await Http.ReadAsync<ModelsResponse>(await host.Client.GetAsync("/api/v1/models", TestContext.Current.CancellationToken));
        Assert.Equal(host.Prefix, models.Prefix);
        Assert.Equal([host.FaceNet3Job, host.HeadsNetJob, host.FaceNet2Job], models.Models.Select(m => m.JobId));
        Assert.Equal([TrainingModel.FaceNet3, TrainingModel.HeadsNet, TrainingModel.FaceNet2], models.Models.Select(m => m.Model));
        Assert.Equal([true, true, false], models.Models.Select(m => m.IsDefault));

        var faceNet3 = models.Models[0];
        Assert.Equal(0.61, faceNet3.Quality!["iou"]!["model"]!.GetValue<double>());
        Assert.Equal(0.57, faceNet3.Quality!["iou"]!["ridge"]!.GetValue<double>());
        Assert.Equal($"{host.FaceNet3Job}/model.safetensors", faceNet3.Manifest["weights"]!.GetValue<string>());
        Assert.Equal("FaceNet3", faceNet3.Manifest["modelManifest"]!["kind"]!.GetValue<string>());
        Assert.Equal(DenseArchitectureParameters(), faceNet3.Parameters);
        Assert.Equal("test-dataset", faceNet3.DatasetId);

        var faceNet2 = models.Models[2];
        Assert.Equal(2, faceNet2.Manifest["shards"]!.AsArray().Count);
        Assert.Equal(128L * Heads.Core.Models.DenseArchitecture.FaceNet2Voxel.ParameterCount, faceNet2.Parameters);

        var broken = Assert.Single(models.Skipped);
        Assert.Equal(host.BrokenJob, broken.JobId);
        Assert.Contains("no such blob", broken.Reason);
    }

    private static long DenseArchitectureParameters() => Heads.Core.Models.DenseArchitecture.FaceNet3.ParameterCount;

    [Fact]
    public async Task Reload_rescans_and_keeps_unchanged_models_loaded()
    {
        var before = await Http.ReadAsync<ModelsResponse>(await host.Client.GetAsync("/api/v1/models", TestContext.Current.CancellationToken));
        var after = await Http.ReadAsync<ModelsResponse>(await host.Client.PostAsync("/api/v1/models/reload", null, TestContext.Current.CancellationToken));
        Assert.True(after.Generation > before.Generation);
        Assert.Equal(before.Models.Select(m => (m.JobId, m.LoadedAt)), after.Models.Select(m => (m.JobId, m.LoadedAt)));
    }

    [Fact]
    public async Task A_pin_makes_a_served_model_the_default_of_its_family_until_unpinned()
    {
        var ct = TestContext.Current.CancellationToken;
        try
        {
            var pinned = await Http.ReadAsync<ModelsResponse>(await host.Client.PostAsync($"/api/v1/models/{host.FaceNet2Job}/pin", null, ct));
            var faceNet2 = pinned.Models.Single(m => m.JobId == host.FaceNet2Job);
            Assert.True(faceNet2.IsDefault && faceNet2.IsPinned);
            Assert.False(pinned.Models.Single(m => m.JobId == host.FaceNet3Job).IsDefault);
            Assert.True(pinned.Models.Single(m => m.JobId == host.HeadsNetJob).IsDefault); // the other family is untouched

            var unknown = await host.Client.PostAsync($"/api/v1/models/{Guid.NewGuid()}/pin", null, ct);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await host.Client.DeleteAsync("/api/v1/models/pins/teapots", ct)).StatusCode);
        }
        finally
        {
            var unpinned = await Http.ReadAsync<ModelsResponse>(await host.Client.DeleteAsync("/api/v1/models/pins/volumes", ct));
            Assert.True(unpinned.Models.Single(m => m.JobId == host.FaceNet3Job).IsDefault);
            Assert.DoesNotContain(unpinned.Models, m => m.IsPinned);
        }
    }

    [Fact]
    public async Task Health_reports_the_models_check()
    {
        var health = await host.Client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }
}
