using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Heads.Core.Contracts;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using Microsoft.Extensions.Options;

namespace Trainer.Service.Jobs;

/// <summary>A file a dataset manifest lists; size and checksum when the manifest gives them.</summary>
public sealed record DatasetFile(string Name, long? Bytes, string? Sha256);

/// <summary>What datasets/{id}/manifest.json says about a dataset, read tolerantly: its kind and its files.</summary>
public sealed record DatasetDescription(string DatasetId, DatasetKind Kind, IReadOnlyDictionary<string, DatasetFile> Files, ETag ETag)
{
    public DatasetFile? File(string name) => Files.TryGetValue(name, out var f) ? f : null;
}

/// <summary>A FaceNet dataset's heads: <see cref="Train"/> splits into <see cref="Fit"/> (what models learn from) and <see cref="Validation"/> (thresholds, curves, kept epochs).</summary>
public sealed record FaceNetData(FaceNetTrainingSet Train, FaceNetTrainingSet HeldOut)
{
    private readonly Lazy<(FaceNetTrainingSet Fit, FaceNetTrainingSet Validation)> _split = new(() => FaceNetEvaluation.ValidationSplit(Train));

    public FaceNetTrainingSet Fit => _split.Value.Fit;

    public FaceNetTrainingSet Validation => _split.Value.Validation;
}

public sealed record HeadsNetData(HeadsNetTrainingSet Train, HeadsNetTrainingSet HeldOut);

/// <summary>
/// Reads datasets from the datasets container ({id}/manifest.json and the split files beside it), verifying sizes and
/// SHA-256 against the manifest. A replica keeps the last few in memory: every shard of a job reads the same dataset.
/// Datasets are immutable, so the manifest's ETag identifies the bytes.
/// </summary>
public sealed class TrainingDatasets(HeadsBlobContainers containers, IOptions<TrainerOptions> options, ILogger<TrainingDatasets> logger)
{
    public const string ManifestName = "manifest.json";
    public static readonly IReadOnlyList<string> FaceNetFiles = ["train_x.dat", "train_y.dat", "heldout_x.dat", "heldout_y.dat"];
    public static readonly IReadOnlyList<string> HeadsNetFiles = ["train_x.f32", "train_y.f32", "heldout_x.f32", "heldout_y.f32"];

    private readonly Lock _gate = new();
    private readonly LinkedList<(string Key, Task<object> Load)> _cache = new();

    public static IReadOnlyList<string> FilesOf(DatasetKind kind) => kind == DatasetKind.HeadsNet ? HeadsNetFiles : FaceNetFiles;

    public async Task<DatasetDescription> DescribeAsync(string datasetId, CancellationToken ct)
    {
        if (!ResourceIds.IsValid(datasetId)) throw new UnknownDatasetException(datasetId);
        Azure.Storage.Blobs.Models.BlobDownloadResult result;
        try
        {
            result = (await containers.Datasets.GetBlobClient($"{datasetId}/{ManifestName}").DownloadContentAsync(ct)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new UnknownDatasetException(datasetId);
        }
        return Parse(datasetId, result.Content, result.Details.ETag);
    }

    /// <summary>The dataset, checked to be of the kind <paramref name="model"/> trains on and to list (if it lists files) the files it needs.</summary>
    public async Task<DatasetDescription> DescribeForAsync(string datasetId, TrainingModel model, CancellationToken ct)
    {
        var description = await DescribeAsync(datasetId, ct);
        var kind = TrainingJobOptions.DatasetKindFor(model);
        if (description.Kind != kind)
            throw new IncompatibleDatasetException($"Dataset '{datasetId}' is a {description.Kind} dataset; {model} trains on a {kind} dataset.");
        return description;
    }

    /// <summary>Checks that every file exists with the size the manifest gives, without downloading it.</summary>
    public async Task VerifyFilesPresentAsync(DatasetDescription dataset, CancellationToken ct)
    {
        foreach (var name in FilesOf(dataset.Kind))
        {
            long size;
            try
            {
                size = (await containers.Datasets.GetBlobClient($"{dataset.DatasetId}/{name}").GetPropertiesAsync(cancellationToken: ct)).Value.ContentLength;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new CorruptDatasetException(dataset.DatasetId, $"datasets/{dataset.DatasetId}/{name} is missing.");
            }
            if (dataset.File(name)?.Bytes is long expected && expected != size)
                throw new CorruptDatasetException(dataset.DatasetId, $"{name} is {size} bytes; the manifest says {expected}.");
        }
    }

    public async Task<FaceNetData> LoadFaceNetAsync(string datasetId, CancellationToken ct)
    {
        var description = await DescribeForAsync(datasetId, TrainingModel.FaceNet3, ct);
        return (FaceNetData)await CachedAsync(description, () => ReadFaceNetAsync(description));
    }

    public async Task<HeadsNetData> LoadHeadsNetAsync(string datasetId, CancellationToken ct)
    {
        var description = await DescribeForAsync(datasetId, TrainingModel.HeadsNet, ct);
        return (HeadsNetData)await CachedAsync(description, () => ReadHeadsNetAsync(description));
    }

    private async Task<object> CachedAsync(DatasetDescription description, Func<Task<object>> load)
    {
        var key = $"{description.DatasetId}@{description.ETag}";
        Task<object> task;
        lock (_gate)
        {
            var node = _cache.First;
            while (node is not null && node.Value.Key != key) node = node.Next;
            if (node is not null)
            {
                _cache.Remove(node);
                _cache.AddFirst(node);
                task = node.Value.Load;
            }
            else
            {
                // Not tied to one caller's token: a load shared by later shards must not fail because the first caller stopped.
                task = Task.Run(load);
                _cache.AddFirst((key, task));
                while (_cache.Count > Math.Max(1, options.Value.DatasetCacheSize)) _cache.RemoveLast();
            }
        }
        try
        {
            return await task;
        }
        catch
        {
            lock (_gate)
            {
                var node = _cache.First;
                while (node is not null && !ReferenceEquals(node.Value.Load, task)) node = node.Next;
                if (node is not null) _cache.Remove(node);
            }
            throw;
        }
    }

    private async Task<object> ReadFaceNetAsync(DatasetDescription d)
    {
        var files = await Task.WhenAll(FaceNetFiles.Select(name => DownloadAsync(d, name)));
        try
        {
            var train = new FaceNetTrainingSet(files[0], files[1], d.DatasetId);
            var heldOut = new FaceNetTrainingSet(files[2], files[3], d.DatasetId + "/held-out");
            if (train.Count == 0) throw new CorruptDatasetException(d.DatasetId, "it has no training rows.");
            logger.LogInformation("Dataset {DatasetId}: {Train} training and {HeldOut} held-out FaceNet samples loaded", d.DatasetId, train.Count, heldOut.Count);
            return new FaceNetData(train, heldOut);
        }
        catch (ArgumentException e)
        {
            throw new CorruptDatasetException(d.DatasetId, e.Message);
        }
    }

    private async Task<object> ReadHeadsNetAsync(DatasetDescription d)
    {
        var files = await Task.WhenAll(HeadsNetFiles.Select(name => DownloadAsync(d, name)));
        try
        {
            var train = new HeadsNetTrainingSet(Floats(d, HeadsNetFiles[0], files[0]), Floats(d, HeadsNetFiles[1], files[1]), d.DatasetId);
            var heldOut = new HeadsNetTrainingSet(Floats(d, HeadsNetFiles[2], files[2]), Floats(d, HeadsNetFiles[3], files[3]), d.DatasetId + "/held-out");
            if (train.Count == 0) throw new CorruptDatasetException(d.DatasetId, "it has no training rows.");
            logger.LogInformation("Dataset {DatasetId}: {Train} training and {HeldOut} held-out HeadsNet rows loaded", d.DatasetId, train.Count, heldOut.Count);
            return new HeadsNetData(train, heldOut);
        }
        catch (ArgumentException e)
        {
            throw new CorruptDatasetException(d.DatasetId, e.Message);
        }
    }

    private static float[] Floats(DatasetDescription d, string name, byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0) throw new CorruptDatasetException(d.DatasetId, $"{name} is {bytes.Length} bytes, not whole float32 values.");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("HeadsNet files are little-endian float32; this machine is big-endian.");
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>Downloads one file, hashing as it streams, and checks it against the manifest.</summary>
    private async Task<byte[]> DownloadAsync(DatasetDescription d, string name)
    {
        var spec = d.File(name);
        if (d.Files.Count > 0 && spec is null) throw new CorruptDatasetException(d.DatasetId, $"the manifest does not list {name}.");
        Azure.Storage.Blobs.Models.BlobDownloadStreamingResult download;
        try
        {
            download = (await containers.Datasets.GetBlobClient($"{d.DatasetId}/{name}").DownloadStreamingAsync()).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new CorruptDatasetException(d.DatasetId, $"datasets/{d.DatasetId}/{name} is missing.");
        }
        using (download)
        {
            long length = download.Details.ContentLength;
            if (spec?.Bytes is long expected && expected != length)
                throw new CorruptDatasetException(d.DatasetId, $"{name} is {length} bytes; the manifest says {expected}.");
            if (length > Array.MaxLength) throw new CorruptDatasetException(d.DatasetId, $"{name} is {length} bytes, more than one array holds.");
            var bytes = new byte[length];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            int filled = 0;
            while (filled < bytes.Length)
            {
                int n = await download.Content.ReadAsync(bytes.AsMemory(filled));
                if (n == 0) break;
                hash.AppendData(bytes, filled, n);
                filled += n;
            }
            if (filled != bytes.Length) throw new CorruptDatasetException(d.DatasetId, $"{name} ended after {filled} of {length} bytes.");
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (spec?.Sha256 is { Length: > 0 } sha && !string.Equals(sha, actual, StringComparison.OrdinalIgnoreCase))
                throw new CorruptDatasetException(d.DatasetId, $"{name} hashes to SHA-256 {actual}; the manifest says {sha}.");
            return bytes;
        }
    }

    /// <summary>Tolerant: needs "kind"; "files" may be an array of {name, bytes|size, sha256} or an object keyed by name.</summary>
    internal static DatasetDescription Parse(string datasetId, BinaryData json, ETag etag)
    {
        try
        {
            using var document = JsonDocument.Parse(json.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new CorruptDatasetException(datasetId, "manifest.json is not a JSON object.");
            var kindElement = Property(root, "kind") ?? throw new CorruptDatasetException(datasetId, "manifest.json has no \"kind\".");
            DatasetKind kind = kindElement.ValueKind switch
            {
                JsonValueKind.String when Enum.TryParse<DatasetKind>(kindElement.GetString(), ignoreCase: true, out var k) && Enum.IsDefined(k) && !int.TryParse(kindElement.GetString(), out _) => k,
                JsonValueKind.Number when kindElement.TryGetInt32(out int n) && Enum.IsDefined((DatasetKind)n) => (DatasetKind)n,
                _ => throw new CorruptDatasetException(datasetId, $"manifest.json has kind {kindElement.GetRawText()}; expected FaceNet or HeadsNet."),
            };
            var files = new Dictionary<string, DatasetFile>(StringComparer.Ordinal);
            if (Property(root, "files") is { } list)
            {
                if (list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var item in list.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Object) continue;
                        var name = (Property(item, "name") ?? Property(item, "fileName"))?.GetString();
                        if (!string.IsNullOrEmpty(name)) files[name] = File(name, item);
                    }
                }
                else if (list.ValueKind == JsonValueKind.Object)
                {
                    foreach (var entry in list.EnumerateObject())
                        files[entry.Name] = entry.Value.ValueKind == JsonValueKind.Object ? File(entry.Name, entry.Value) : new DatasetFile(entry.Name, null, null);
                }
            }
            return new DatasetDescription(datasetId, kind, files, etag);
        }
        catch (JsonException e)
        {
            throw new CorruptDatasetException(datasetId, $"manifest.json is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new CorruptDatasetException(datasetId, $"manifest.json has a value of an unexpected type: {e.Message}");
        }
    }

    private static DatasetFile File(string name, JsonElement item)
    {
        long? bytes = (Property(item, "bytes") ?? Property(item, "size") ?? Property(item, "length")) is { ValueKind: JsonValueKind.Number } b && b.TryGetInt64(out long v) ? v : null;
        string? sha = (Property(item, "sha256") ?? Property(item, "sha256Hex")) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;
        return new DatasetFile(name, bytes, sha);
    }

    private static JsonElement? Property(JsonElement element, string name)
    {
        foreach (var p in element.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) return p.Value;
        return null;
    }
}
