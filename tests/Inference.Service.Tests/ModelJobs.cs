using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Heads.Core.Contracts;
using Heads.Core.Inference;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Inference.Service.Tests;

/// <summary>
/// Builds models with the engine (random weights, shaped like trained ones) and stores them as a trainer would,
/// under a test's own prefix of the <c>models</c> container. The built models stay in memory as the expected side.
/// </summary>
public static class ModelJobs
{
    public const int Size = 32;

    /// <summary>A 32³ sphere pattern: <paramref name="inside"/> within <paramref name="radius"/> voxels of the centre, 0 outside.</summary>
    public static byte[] Sphere(double radius, byte inside = 200)
    {
        var volume = new byte[Size * Size * Size];
        for (int z = 0, i = 0; z < Size; z++)
        for (int y = 0; y < Size; y++)
        for (int x = 0; x < Size; x++, i++)
        {
            double dx = x - 15.5, dy = y - 15.5, dz = z - 15.5;
            volume[i] = dx * dx + dy * dy + dz * dz <= radius * radius ? inside : (byte)0;
        }
        return volume;
    }

    /// <summary>
    /// A FaceNet1/3 with random weights whose output bias is a sphere of <paramref name="radius"/>, so its volumes
    /// look like a ball with face-dependent noise (and differ between radii).
    /// </summary>
    public static FaceNetModel FaceNet(TrainingModel kind, int seed, double radius)
    {
        var architecture = kind == TrainingModel.FaceNet1 ? DenseArchitecture.FaceNet1 : DenseArchitecture.FaceNet3;
        var network = new DenseNetwork(architecture, seed);
        using (no_grad())
        using (var bias = tensor(Sphere(radius).Select(v => v / 255f).ToArray()))
            network.Bias(architecture.HiddenLayers).copy_(bias);
        return new FaceNetModel(network, new ModelManifest
        {
            Kind = kind == TrainingModel.FaceNet1 ? ModelKind.FaceNet1 : ModelKind.FaceNet3,
            Architecture = architecture,
            DatasetId = "test-dataset",
        });
    }

    public static HeadsNetModel HeadsNet(int seed) =>
        new(new DenseNetwork(DenseArchitecture.HeadsNet, seed), new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = DenseArchitecture.HeadsNet, DatasetId = "test-dataset" });

    /// <summary>
    /// A FaceNet2 of <paramref name="shards"/> shards over all 32768 voxels: every <paramref name="trainedEvery"/>-th voxel
    /// has a real voxel network (random weights), the rest were pruned as constants (a sphere of value 200).
    /// </summary>
    public static FaceNet2Model FaceNet2(int shards, int trainedEvery, int seed)
    {
        var constants = Sphere(10);
        var model = new FaceNet2Model();
        int per = 32768 / shards;
        for (int s = 0; s < shards; s++)
        {
            int first = s * per, count = s == shards - 1 ? 32768 - first : per;
            var voxels = Enumerable.Range(first, count).ToArray();
            var trained = voxels.Where(v => v % trainedEvery == 0).ToArray();
            var constant = voxels.Where(v => v % trainedEvery != 0).ToArray();
            var ensemble = trained.Length == 0 ? null : new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, trained, seed);
            var manifest = new ModelManifest
            {
                Kind = ModelKind.FaceNet2Shard,
                Architecture = DenseArchitecture.FaceNet2Voxel,
                DatasetId = "test-dataset",
                Voxels = new VoxelRange(first, count, trained.Length, constant.Length),
            };
            model.Add(new VoxelShard(manifest, trained, constant, constant.Select(v => constants[v]).ToArray(), ensemble));
        }
        return model;
    }

    public static JsonObject Quality(double modelIoU) => new()
    {
        ["heldOutHeads"] = 12,
        ["iou"] = new JsonObject { ["model"] = modelIoU, ["meanHead"] = 0.29, ["ridge"] = 0.57 },
        ["mae"] = new JsonObject { ["model"] = 9.5, ["meanHead"] = 14.25, ["ridge"] = 11.0 },
    };

    public static async Task WriteAsync(BlobContainerClient models, string prefix, Guid jobId, TrainingModel kind, FaceNetModel model, DateTimeOffset createdAt, JsonObject? quality, CancellationToken ct)
    {
        using var weights = new MemoryStream();
        var manifest = model.Save(weights);
        await Upload(models, prefix + ModelJobLayout.WeightsBlob(jobId), weights.ToArray(), ct);
        await WriteManifestAsync(models, prefix, jobId, ModelJobLayout.SingleNetworkManifest(jobId, kind, "test-dataset", createdAt, manifest, quality), ct);
    }

    public static async Task WriteAsync(BlobContainerClient models, string prefix, Guid jobId, HeadsNetModel model, DateTimeOffset createdAt, CancellationToken ct)
    {
        using var weights = new MemoryStream();
        var manifest = model.Save(weights);
        await Upload(models, prefix + ModelJobLayout.WeightsBlob(jobId), weights.ToArray(), ct);
        await WriteManifestAsync(models, prefix, jobId, ModelJobLayout.SingleNetworkManifest(jobId, TrainingModel.HeadsNet, "test-dataset", createdAt, manifest), ct);
    }

    public static async Task WriteAsync(BlobContainerClient models, string prefix, Guid jobId, FaceNet2Model model, DateTimeOffset createdAt, JsonObject? quality, CancellationToken ct)
    {
        foreach (var shard in model.Shards)
        {
            using var weights = new MemoryStream();
            var manifest = shard.Save(weights);
            await Upload(models, prefix + ModelJobLayout.ShardWeightsBlob(jobId, shard.FirstVoxel, shard.VoxelCount), weights.ToArray(), ct);
            await Upload(models, prefix + ModelJobLayout.ShardManifestBlob(jobId, shard.FirstVoxel, shard.VoxelCount), System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()), ct);
        }
        var job = ModelJobLayout.ShardedManifest(jobId, "test-dataset", createdAt, model.Shards.Select(s => (s.FirstVoxel, s.VoxelCount)), quality);
        await WriteManifestAsync(models, prefix, jobId, job, ct);
    }

    /// <summary>The manifest goes last, as the trainer commits it: its presence means the weights are complete.</summary>
    public static Task WriteManifestAsync(BlobContainerClient models, string prefix, Guid jobId, JsonObject manifest, CancellationToken ct) =>
        Upload(models, prefix + ModelJobLayout.ManifestBlob(jobId), System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()), ct);

    public static async Task Upload(BlobContainerClient models, string name, byte[] content, CancellationToken ct)
    {
        await models.CreateIfNotExistsAsync(cancellationToken: ct);
        await models.GetBlobClient(name).UploadAsync(new BinaryData(content), overwrite: true, ct);
    }
}
