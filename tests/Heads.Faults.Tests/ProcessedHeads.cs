using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Heads.Core.Datasets;
using Heads.Core.FaceTo3D;

namespace Heads.Faults.Tests;

/// <summary>
/// Processed heads as the dataset service stores them (heads/{id}/face.u8, volume.u8, then the sample.json marker), each
/// with its own face and volume bytes, so every row of a built dataset can be traced back to exactly one head.
/// </summary>
internal static class ProcessedHeads
{
    public static Dictionary<string, (byte[] Face, byte[] Volume)> Make(string prefix, int count)
    {
        var heads = new Dictionary<string, (byte[], byte[])>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            var rng = new Random(i + 1);
            var face = new byte[FaceTo3DFiles.FaceBytes];
            var volume = new byte[FaceTo3DFiles.VolumeBytes];
            rng.NextBytes(face);
            rng.NextBytes(volume);
            heads[$"{prefix}{i:D5}"] = (face, volume);
        }
        return heads;
    }

    public static async Task StoreAsync(BlobServiceClient blobs, IReadOnlyDictionary<string, (byte[] Face, byte[] Volume)> heads)
    {
        var container = blobs.GetBlobContainerClient("datasets");
        await container.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Parallel.ForEachAsync(heads, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = TestContext.Current.CancellationToken }, async (head, ct) =>
        {
            var (id, (face, volume)) = (head.Key, head.Value);
            await container.GetBlobClient($"heads/{id}/{HeadSample.FaceName}").UploadAsync(new BinaryData(face), overwrite: true, ct);
            await container.GetBlobClient($"heads/{id}/{HeadSample.VolumeName}").UploadAsync(new BinaryData(volume), overwrite: true, ct);
            var marker = new { headId = id, source = "faults-test", files = new[] { HeadSample.FaceName, HeadSample.VolumeName } };
            await container.GetBlobClient($"heads/{id}/sample.json").UploadAsync(BinaryData.FromObjectAsJson(marker), overwrite: true, ct);
        });
    }

    /// <summary>POST /api/v1/datasets: a FaceNet build of every head whose id starts with <paramref name="prefix"/>.</summary>
    public static async Task RequestBuildAsync(ServiceProcess dataset, string datasetId, string prefix)
    {
        using var response = await dataset.Http.PostAsJsonAsync("/api/v1/datasets",
            new { datasetId, kind = "FaceNet", heldOutFraction = 0.1, headIdPrefix = prefix }, TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"POST /api/v1/datasets: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }

    /// <summary>{dataset}/progress.json as the build writes it: (heads done, heads total), or null when there is none.</summary>
    public static async Task<(long Done, long? Total)?> ProgressAsync(BlobServiceClient blobs, string datasetId)
    {
        try
        {
            var content = (await blobs.GetBlobContainerClient("datasets").GetBlobClient($"{datasetId}/progress.json")
                .DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content;
            using var doc = JsonDocument.Parse(content.ToMemory());
            var total = doc.RootElement.GetProperty("headsTotal");
            return (doc.RootElement.GetProperty("headsDone").GetInt64(), total.ValueKind == JsonValueKind.Null ? null : total.GetInt64());
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
