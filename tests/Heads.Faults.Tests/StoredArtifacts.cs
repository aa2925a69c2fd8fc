using System.Security.Cryptography;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Heads.Core.Models;
using Heads.Core.Training.Jobs;

namespace Heads.Faults.Tests;

/// <summary>
/// What a fault must not have damaged, read back from blob storage alone: every voxel of a FaceNet2 model in exactly one
/// shard, every head of a dataset in exactly one row, and every blob hashing to the SHA-256 its manifest records.
/// </summary>
internal static class StoredArtifacts
{
    private static async Task<byte[]> DownloadAsync(BlobContainerClient container, string name) =>
        (await container.GetBlobClient(name).DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToArray();

    private static async Task<List<string>> ListAsync(BlobContainerClient container, string prefix)
    {
        var names = new List<string>();
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, TestContext.Current.CancellationToken))
            names.Add(item.Name);
        return names;
    }

    /// <summary>Checks a committed FaceNet2 model and returns its manifest.</summary>
    public static async Task<TrainingJobManifest> VerifyFaceNet2Async(BlobContainerClient models, Guid jobId, int shardSize)
    {
        var manifest = TrainingJobManifest.Parse(await DownloadAsync(models, TrainingJobLayout.ManifestBlob(jobId)));
        Assert.Equal(TrainingModel.FaceNet2, manifest.Model);

        // Every voxel exactly once: counted, not only checked for gaps.
        var cover = new int[VolumePostProcessing.VolumeVoxels];
        foreach (var shard in manifest.Shards)
            for (int v = shard.FirstVoxel; v < shard.FirstVoxel + shard.VoxelCount; v++) cover[v]++;
        Assert.True(cover.All(c => c == 1), $"voxels covered 0 times: {cover.Count(c => c == 0)}, more than once: {cover.Count(c => c > 1)}");
        Assert.Equal(VoxelShardPlan.Split(shardSize).Select(r => (r.First, r.Count)), manifest.Shards.Select(s => (s.FirstVoxel, s.VoxelCount)));

        // The shards folder holds each shard's weights and manifest, nothing else (no duplicate or half-written shard).
        var stored = await ListAsync(models, TrainingJobLayout.ShardsFolder(jobId));
        var expected = manifest.Shards.SelectMany(s => new[] { s.WeightsBlob, s.ManifestBlob }).Order(StringComparer.Ordinal);
        Assert.Equal(expected, stored.Order(StringComparer.Ordinal));

        foreach (var shard in manifest.Shards)
        {
            var weights = await DownloadAsync(models, shard.WeightsBlob);
            Assert.Equal(shard.WeightsBytes, weights.LongLength);
            Assert.Equal(shard.WeightsSha256, Convert.ToHexStringLower(SHA256.HashData(weights)), StringComparer.OrdinalIgnoreCase);
            var shardManifest = ModelManifest.FromJson(System.Text.Encoding.UTF8.GetString(await DownloadAsync(models, shard.ManifestBlob)));
            Assert.Equal(shard.WeightsSha256, shardManifest.WeightsSha256, StringComparer.OrdinalIgnoreCase);
            Assert.Equal((shard.FirstVoxel, shard.VoxelCount, shard.Trained, shard.Pruned),
                (shardManifest.Voxels!.First, shardManifest.Voxels.Count, shardManifest.Voxels.Trained, shardManifest.Voxels.Constant));
        }
        return manifest;
    }

    /// <summary>
    /// Checks a committed FaceNet dataset against the heads it was built from: each head in exactly one row of exactly one
    /// partition, its face and volume bytes in that row, each file hashing to its manifest's SHA-256 (and blob metadata).
    /// </summary>
    public static async Task<DatasetManifest> VerifyFaceNetDatasetAsync(BlobContainerClient datasets, string datasetId,
        IReadOnlyDictionary<string, (byte[] Face, byte[] Volume)> heads)
    {
        var manifestName = $"{datasetId}/{DatasetLayout.ManifestName}";
        var manifest = DatasetManifest.Parse(await DownloadAsync(datasets, manifestName));
        Assert.Equal(heads.Keys.Order(StringComparer.Ordinal), manifest.HeadIds.Order(StringComparer.Ordinal));
        Assert.Equal(manifest.HeadIds.Count, manifest.HeadIds.Distinct().Count());
        Assert.Equal(manifest.HeadIds.Order(StringComparer.Ordinal), manifest.TrainHeadIds.Concat(manifest.HeldOutHeadIds).Order(StringComparer.Ordinal));
        Assert.Equal((long)manifest.TrainHeadIds.Count, manifest.TrainRows);
        Assert.Equal((long)manifest.HeldOutHeadIds.Count, manifest.HeldOutRows);

        // The dataset folder holds the manifest and its files only: no progress marker left, no file of an abandoned attempt.
        var stored = await ListAsync(datasets, datasetId + "/");
        Assert.Equal(manifest.Files.Select(f => $"{datasetId}/{f.Name}").Append(manifestName).Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));

        foreach (var file in manifest.Files)
        {
            var blob = datasets.GetBlobClient($"{datasetId}/{file.Name}");
            var bytes = (await blob.DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToArray();
            Assert.Equal(file.Bytes, bytes.LongLength);
            Assert.Equal(file.Rows * file.RowBytes, bytes.LongLength);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)), StringComparer.OrdinalIgnoreCase);
            var metadata = (await blob.GetPropertiesAsync(cancellationToken: TestContext.Current.CancellationToken)).Value.Metadata;
            Assert.Equal(file.Sha256, metadata["sha256"], StringComparer.OrdinalIgnoreCase);

            var ids = file.Partition == DatasetPartition.Train ? manifest.TrainHeadIds : manifest.HeldOutHeadIds;
            Assert.Equal(ids.Count, file.Rows);
            for (int row = 0; row < ids.Count; row++)
            {
                var (face, volume) = heads[ids[row]];
                var want = file.Role == DatasetFileRole.Inputs ? face : volume;
                Assert.True(bytes.AsSpan(row * file.RowBytes, file.RowBytes).SequenceEqual(want), $"{file.Name} row {row} is not head {ids[row]}'s data.");
            }
        }
        return manifest;
    }
}
