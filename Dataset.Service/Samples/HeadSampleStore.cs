using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Dataset.Service.Storage;
using Heads.Core.Datasets;

namespace Dataset.Service.Samples;

/// <summary>One stored per-head file: heads/{id}/{name}.</summary>
public sealed record SampleFile(string Name, long Bytes, long Rows, string Sha256);

/// <summary>heads/{id}/sample.json: the commit marker of a processed head, written after its files.</summary>
public sealed record HeadSampleRecord
{
    public required string HeadId { get; init; }
    public required Guid ScrapeId { get; init; }
    public required string Source { get; init; }
    public long? ScrapeSeed { get; init; }
    public required float HeadsNetSeed { get; init; }
    public required string FaceBlob { get; init; }
    public required string MeshBlob { get; init; }
    public required int VertexCount { get; init; }
    public required int TriangleCount { get; init; }
    public required int OccupiedVoxels { get; init; }
    public required IReadOnlyList<SampleFile> Files { get; init; }
    public required DateTimeOffset ProcessedAt { get; init; }
    public required string GeneratorVersion { get; init; }
}

/// <summary>rejects/{id}.json: why a head could not become samples.</summary>
public sealed record HeadRejection
{
    public required string HeadId { get; init; }
    public required HeadSampleStage Stage { get; init; }
    public required string Reason { get; init; }
    public required string FaceBlob { get; init; }
    public required string MeshBlob { get; init; }
    public Guid? ScrapeId { get; init; }
    public required DateTimeOffset RejectedAt { get; init; }
}

public sealed record Page<T>(int Count, int Offset, int Limit, IReadOnlyList<T> Items);

/// <summary>Per-head samples and rejections in the datasets container.</summary>
public sealed class HeadSampleStore(HeadsBlobContainers containers)
{
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private BlobContainerClient Container => containers.Datasets;

    public async Task<bool> IsProcessedAsync(string headId, CancellationToken ct) =>
        (await Container.GetBlobClient(DatasetBlobLayout.SampleMarkerBlob(headId)).ExistsAsync(ct)).Value;

    /// <summary>
    /// Stores the three sample files, then the marker with a conditional create. Files of an earlier, interrupted
    /// attempt are overwritten with the same deterministic bytes; a marker another delivery wrote first wins.
    /// Returns the bytes written.
    /// </summary>
    public async Task<long> StoreAsync(HeadSample sample, HeadSampleRecord record, CancellationToken ct)
    {
        await Task.WhenAll(
            UploadAsync(DatasetBlobLayout.SampleBlob(sample.HeadId, HeadSample.FaceName), sample.Face, ct),
            UploadAsync(DatasetBlobLayout.SampleBlob(sample.HeadId, HeadSample.VolumeName), sample.Volume, ct),
            UploadAsync(DatasetBlobLayout.SampleBlob(sample.HeadId, HeadSample.HeadsNetName), sample.HeadsNetRows, ct));
        var marker = JsonSerializer.SerializeToUtf8Bytes(record, JsonOptions);
        try
        {
            await Container.GetBlobClient(DatasetBlobLayout.SampleMarkerBlob(sample.HeadId)).UploadAsync(new BinaryData(marker), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, ct);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Another delivery of the same event committed the same head first.
        }
        return sample.Face.Length + sample.Volume.Length + sample.HeadsNetRows.LongLength + marker.Length;
    }

    public static HeadSampleRecord RecordOf(HeadSample sample, Heads.Core.Contracts.HeadScraped scraped, DateTimeOffset at) => new()
    {
        HeadId = sample.HeadId,
        ScrapeId = scraped.ScrapeId,
        Source = scraped.Source,
        ScrapeSeed = scraped.Seed,
        HeadsNetSeed = sample.HeadsNetSeed,
        FaceBlob = scraped.FaceBlob,
        MeshBlob = scraped.MeshBlob,
        VertexCount = sample.VertexCount,
        TriangleCount = sample.TriangleCount,
        OccupiedVoxels = sample.OccupiedVoxels,
        Files =
        [
            new(HeadSample.FaceName, sample.Face.Length, 1, Sha256(sample.Face)),
            new(HeadSample.VolumeName, sample.Volume.Length, 1, Sha256(sample.Volume)),
            new(HeadSample.HeadsNetName, sample.HeadsNetRows.LongLength, sample.HeadsNetRowCount, Sha256(sample.HeadsNetRows)),
        ],
        ProcessedAt = at,
        GeneratorVersion = DatasetLayout.GeneratorVersion,
    };

    public async Task<HeadSampleRecord?> FindAsync(string headId, CancellationToken ct) =>
        await ReadJsonAsync<HeadSampleRecord>(DatasetBlobLayout.SampleMarkerBlob(headId), ct);

    /// <summary>A whole small sample file (face or volume); a missing one is an error naming the head.</summary>
    public async Task<byte[]> ReadFileAsync(string headId, string name, CancellationToken ct)
    {
        try
        {
            var content = await Container.GetBlobClient(DatasetBlobLayout.SampleBlob(headId, name)).DownloadContentAsync(ct);
            return content.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new InvalidDataException($"Head '{headId}' is marked processed but its {name} is missing.", e);
        }
    }

    /// <summary>Streams a sample file (the HeadsNet rows) without holding it in memory.</summary>
    public async Task<Stream> OpenFileAsync(string headId, string name, CancellationToken ct)
    {
        try
        {
            var response = await Container.GetBlobClient(DatasetBlobLayout.SampleBlob(headId, name)).DownloadStreamingAsync(cancellationToken: ct);
            return response.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new InvalidDataException($"Head '{headId}' is marked processed but its {name} is missing.", e);
        }
    }

    /// <summary>Ids of every processed head whose id starts with <paramref name="prefix"/>, in ordinal order.</summary>
    public async Task<List<string>> ListProcessedAsync(string? prefix, CancellationToken ct)
    {
        var ids = new List<string>();
        await foreach (var blob in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = DatasetBlobLayout.HeadsFolder + prefix }, ct))
        {
            if (DatasetBlobLayout.HeadIdOfMarker(blob.Name) is { } id) ids.Add(id);
        }
        // Listing order is by blob name ("a-b/" sorts before "a/"); datasets use plain ordinal id order.
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    public async Task RejectAsync(HeadRejection rejection, CancellationToken ct)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(rejection, JsonOptions);
        await Container.GetBlobClient(DatasetBlobLayout.RejectBlob(rejection.HeadId)).UploadAsync(new BinaryData(json), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, ct);
    }

    public async Task<bool> IsRejectedAsync(string headId, CancellationToken ct) =>
        (await Container.GetBlobClient(DatasetBlobLayout.RejectBlob(headId)).ExistsAsync(ct)).Value;

    /// <summary>A head that was rejected and later processed (its blobs fixed) is no longer listed as rejected.</summary>
    public Task ClearRejectionAsync(string headId, CancellationToken ct) =>
        Container.GetBlobClient(DatasetBlobLayout.RejectBlob(headId)).DeleteIfExistsAsync(cancellationToken: ct);

    public async Task<Page<HeadRejection>> ListRejectedAsync(int offset, int limit, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (var blob in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = DatasetBlobLayout.RejectsFolder }, ct))
            names.Add(blob.Name);
        names.Sort(StringComparer.Ordinal);
        var page = names.Skip(offset).Take(limit).ToList();
        var found = new ConcurrentDictionary<string, HeadRejection>();
        await Parallel.ForEachAsync(page, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (name, token) =>
        {
            if (await ReadJsonAsync<HeadRejection>(name, token) is { } r) found[name] = r;
        });
        return new Page<HeadRejection>(names.Count, offset, limit, page.Where(found.ContainsKey).Select(n => found[n]).ToList());
    }

    private async Task<T?> ReadJsonAsync<T>(string name, CancellationToken ct) where T : class
    {
        try
        {
            var content = await Container.GetBlobClient(name).DownloadContentAsync(ct);
            return JsonSerializer.Deserialize<T>(content.Value.Content.ToMemory().Span, JsonOptions)
                ?? throw new InvalidDataException($"{Container.Name}/{name} holds null.");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Container.Name}/{name} is not valid JSON: {e.Message}", e);
        }
    }

    private Task UploadAsync(string name, byte[] data, CancellationToken ct) =>
        Container.GetBlobClient(name).UploadAsync(new BinaryData(data), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/octet-stream" },
        }, ct);

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
