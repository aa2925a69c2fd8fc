using System.Globalization;
using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Heads.Core.Models;

namespace Heads.Core.Inference;

/// <summary>
/// Where a trained job's files live in the <c>models</c> container and what its job manifest says; the inference
/// service reads exactly this shape:
/// <code>
/// {jobId}/manifest.json                   {"jobId", "model", "datasetId", "createdAt", "quality"?, "weights" + "modelManifest" | "shards"}
/// {jobId}/model.safetensors               HeadsNet, FaceNet1, FaceNet3
/// {jobId}/shards/{first:D5}-{count:D5}.safetensors and .json (the shard's engine manifest)   FaceNet2
/// {jobId}/gallery.png                     held-out heads (FaceNet) or seeds (HeadsNet), see Heads.Core.Rendering.ModelPictures
/// {jobId}/losses.png                      training and held-out loss per epoch
/// </code>
/// Paths inside a manifest are relative to the container.
/// </summary>
public static class ModelJobLayout
{
    public const string ManifestName = "manifest.json";

    public static string ManifestBlob(Guid jobId) => $"{jobId}/{ManifestName}";

    public static string WeightsBlob(Guid jobId) => $"{jobId}/model.safetensors";

    public const string GalleryName = "gallery.png";
    public const string LossesName = "losses.png";

    public static string GalleryBlob(Guid jobId) => $"{jobId:D}/{GalleryName}";

    public static string LossesBlob(Guid jobId) => $"{jobId:D}/{LossesName}";

    public static string ShardWeightsBlob(Guid jobId, int first, int count) => $"{jobId}/shards/{ShardName(first, count)}.safetensors";

    public static string ShardManifestBlob(Guid jobId, int first, int count) => $"{jobId}/shards/{ShardName(first, count)}.json";

    /// <summary>The job manifest of a single-network model (HeadsNet, FaceNet1, FaceNet3) with its engine manifest inline.</summary>
    public static JsonObject SingleNetworkManifest(Guid jobId, TrainingModel model, string datasetId, DateTimeOffset createdAt, ModelManifest modelManifest, JsonObject? quality = null)
    {
        ArgumentNullException.ThrowIfNull(modelManifest);
        if (model == TrainingModel.FaceNet2) throw new ArgumentException("FaceNet2 is stored as shards; use ShardedManifest.", nameof(model));
        var manifest = Common(jobId, model, datasetId, createdAt, quality);
        manifest["weights"] = WeightsBlob(jobId);
        manifest["modelManifest"] = JsonNode.Parse(modelManifest.ToJson());
        return manifest;
    }

    /// <summary>The job manifest of a FaceNet2 model stored as shards covering voxels 0..32767.</summary>
    public static JsonObject ShardedManifest(Guid jobId, string datasetId, DateTimeOffset createdAt, IEnumerable<(int First, int Count)> shards, JsonObject? quality = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        var manifest = Common(jobId, TrainingModel.FaceNet2, datasetId, createdAt, quality);
        var list = new JsonArray();
        foreach (var (first, count) in shards.OrderBy(s => s.First))
            list.Add(new JsonObject
            {
                ["first"] = first,
                ["count"] = count,
                ["weights"] = ShardWeightsBlob(jobId, first, count),
                ["manifest"] = ShardManifestBlob(jobId, first, count),
            });
        manifest["shards"] = list;
        return manifest;
    }

    private static JsonObject Common(Guid jobId, TrainingModel model, string datasetId, DateTimeOffset createdAt, JsonObject? quality)
    {
        var manifest = new JsonObject
        {
            ["jobId"] = jobId.ToString(),
            ["model"] = model.ToString(),
            ["datasetId"] = datasetId,
            ["createdAt"] = createdAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
        };
        if (quality is not null) manifest["quality"] = quality.DeepClone();
        return manifest;
    }

    private static string ShardName(int first, int count) =>
        $"{first.ToString("D5", CultureInfo.InvariantCulture)}-{count.ToString("D5", CultureInfo.InvariantCulture)}";
}
