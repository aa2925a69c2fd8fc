using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Testing;

namespace Inference.Service.Tests;

/// <summary>
/// A host serving a FaceNet3 (the newest FaceNet, so the default), a FaceNet2 of two shards with pruned constant
/// voxels, a HeadsNet, and one broken job; the same models stay here in memory as the expected side.
/// </summary>
public sealed class ServingHost(RealInfrastructure infrastructure) : InferenceHost(infrastructure)
{
    public Guid FaceNet3Job { get; } = Guid.NewGuid();
    public Guid FaceNet2Job { get; } = Guid.NewGuid();
    public Guid HeadsNetJob { get; } = Guid.NewGuid();
    public Guid BrokenJob { get; } = Guid.NewGuid();

    public FaceNetModel FaceNet3 { get; } = ModelJobs.FaceNet(TrainingModel.FaceNet3, seed: 3, radius: 11);
    public FaceNet2Model FaceNet2 { get; } = ModelJobs.FaceNet2(shards: 2, trainedEvery: 256, seed: 2);
    public HeadsNetModel HeadsNet { get; } = ModelJobs.HeadsNet(seed: 5);

    /// <summary>FaceNet3's stored loss chart; it has no gallery, so that answers 404.</summary>
    public byte[] FaceNet3Losses { get; } = Heads.Core.Rendering.ModelPictures.LossCurves([0.3, 0.2, 0.12], [0.35, 0.26, 0.2], "FaceNet3", 320, 180);

    /// <summary>FaceNet2's gallery is one byte over the service's cap: refused, not read into memory.</summary>
    public static int OversizedPictureBytes => Serving.ModelStore.MaxPictureBytes + 1;

    protected override async Task StoreModelsAsync(CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        await ModelJobs.WriteAsync(Models, Prefix, FaceNet2Job, FaceNet2, now.AddMinutes(-20), ModelJobs.Quality(0.58), ct);
        await ModelJobs.WriteAsync(Models, Prefix, FaceNet3Job, TrainingModel.FaceNet3, FaceNet3, now.AddMinutes(-10), ModelJobs.Quality(0.61), ct);
        await ModelJobs.WriteAsync(Models, Prefix, HeadsNetJob, HeadsNet, now.AddMinutes(-15), ct);
        await ModelJobs.Upload(Models, Prefix + Heads.Core.Inference.ModelJobLayout.LossesBlob(FaceNet3Job), FaceNet3Losses, ct);
        await ModelJobs.Upload(Models, Prefix + Heads.Core.Inference.ModelJobLayout.GalleryBlob(FaceNet2Job), new byte[OversizedPictureBytes], ct);
        // Names weights that were never written: listed as skipped, never served.
        await ModelJobs.WriteManifestAsync(Models, Prefix, BrokenJob, new System.Text.Json.Nodes.JsonObject
        {
            ["jobId"] = BrokenJob.ToString(),
            ["model"] = "FaceNet1",
            ["datasetId"] = "test-dataset",
            ["createdAt"] = now.AddMinutes(-30).ToString("O"),
            ["weights"] = $"{BrokenJob}/model.safetensors",
        }, ct);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        FaceNet3.Dispose();
        FaceNet2.Dispose();
        HeadsNet.Dispose();
    }
}
