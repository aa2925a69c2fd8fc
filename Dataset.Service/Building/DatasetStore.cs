using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dataset.Service.Samples;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Building;

public enum DatasetState
{
    Queued,
    Building,
    Ready,
    Failed,
}

/// <summary>
/// {dataset}/progress.json: who is building a dataset and how far it got. It doubles as the build's claim: created
/// with If-None-Match, updated with If-Match, so one attempt at a time writes a dataset's files.
/// </summary>
public sealed record BuildProgress
{
    public required string DatasetId { get; init; }
    public required DatasetKind Kind { get; init; }
    public required Guid Attempt { get; init; }
    /// <summary>The service instance running the attempt (see <see cref="DatasetStore.TryClaimAsync"/>); null in markers of older builds.</summary>
    public Guid? Builder { get; init; }
    public required DatasetState State { get; init; }
    public long HeadsDone { get; init; }
    public long? HeadsTotal { get; init; }
    public long BytesWritten { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public string? Error { get; init; }
}

/// <summary>Another attempt took over this build (ours was presumed dead); this attempt must stop writing.</summary>
public sealed class BuildClaimLostException(string datasetId)
    : Exception($"Dataset '{datasetId}' is now being built by another attempt; this attempt stopped.");

/// <summary>Dataset manifests, files and build progress in the datasets container.</summary>
public sealed class DatasetStore(HeadsBlobContainers containers, IOptions<DatasetOptions> options, TimeProvider time)
{
    private const int ManifestCacheCapacity = 128;
    // Manifests are immutable once written, so a cached one never goes stale.
    private readonly ConcurrentDictionary<string, DatasetManifest> _manifests = new(StringComparer.Ordinal);
    // This instance's identity in progress markers, and its attempts still running.
    private readonly Guid _instance = Guid.NewGuid();
    private readonly ConcurrentDictionary<Guid, byte> _runningAttempts = new();

    private BlobContainerClient Container => containers.Datasets;

    public TimeProvider Time => time;

    public async Task<DatasetManifest?> FindManifestAsync(string datasetId, CancellationToken ct)
    {
        if (_manifests.TryGetValue(datasetId, out var cached)) return cached;
        var blob = DatasetBlobLayout.ManifestBlob(datasetId);
        try
        {
            var content = await Container.GetBlobClient(blob).DownloadContentAsync(ct);
            var manifest = DatasetManifest.Parse(content.Value.Content.ToMemory().Span, $"{Container.Name}/{blob}");
            if (_manifests.Count >= ManifestCacheCapacity) _manifests.Clear();
            _manifests[datasetId] = manifest;
            return manifest;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<bool> ExistsAsync(string datasetId, CancellationToken ct) =>
        _manifests.ContainsKey(datasetId) || (await Container.GetBlobClient(DatasetBlobLayout.ManifestBlob(datasetId)).ExistsAsync(ct)).Value;

    /// <summary>Writes the manifest only if none exists (If-None-Match: *): false when the id is already taken.</summary>
    public async Task<bool> TryCommitManifestAsync(DatasetManifest manifest, CancellationToken ct)
    {
        try
        {
            await Container.GetBlobClient(DatasetBlobLayout.ManifestBlob(manifest.DatasetId)).UploadAsync(new BinaryData(manifest.ToJson()), new BlobUploadOptions
            {
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, ct);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<BuildProgress?> FindProgressAsync(string datasetId, CancellationToken ct) =>
        (await ReadProgressAsync(datasetId, ct))?.Progress;

    public bool IsStale(BuildProgress progress) =>
        progress.State == DatasetState.Building && time.GetUtcNow() - progress.UpdatedAt > options.Value.BuildStaleAfter;

    /// <summary>
    /// Claims the build of a dataset: creates its progress marker, or takes over one that failed, went stale, or was left
    /// "building" by an attempt of this same instance that is no longer running. That last case is a storage outage: the
    /// attempt failed because storage was down, so it could not record its failure either, and without this the bus's
    /// redelivery would find the marker fresh, leave the build to a builder that no longer exists, and the dataset would
    /// never be built. Null when another attempt is building it right now. Call <see cref="EndAttempt"/> when the attempt ends.
    /// </summary>
    public async Task<BuildClaim?> TryClaimAsync(string datasetId, DatasetKind kind, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var progress = new BuildProgress
        {
            DatasetId = datasetId, Kind = kind, Attempt = Guid.NewGuid(), Builder = _instance, State = DatasetState.Building, StartedAt = now, UpdatedAt = now,
        };
        var blob = Container.GetBlobClient(DatasetBlobLayout.ProgressBlob(datasetId));
        for (int round = 0; round < 3; round++)
        {
            try
            {
                var created = await blob.UploadAsync(Serialize(progress), new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                }, ct);
                return Running(new BuildClaim(this, blob, progress, created.Value.ETag));
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
            }
            var existing = await ReadProgressAsync(datasetId, ct);
            if (existing is null) continue; // released between our two calls: try to create again
            var held = existing.Value.Progress;
            bool orphaned = held.Builder == _instance && !_runningAttempts.ContainsKey(held.Attempt);
            if (held.State == DatasetState.Building && !IsStale(held) && !orphaned) return null;
            try
            {
                var taken = await blob.UploadAsync(Serialize(progress), new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Conditions = new BlobRequestConditions { IfMatch = existing.Value.ETag },
                }, ct);
                return Running(new BuildClaim(this, blob, progress, taken.Value.ETag));
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                // Someone else changed it first: look again.
            }
        }
        return null;
    }

    /// <summary>The attempt stopped (committed, failed, or lost its claim): a marker it left behind may be taken over.</summary>
    public void EndAttempt(Guid attempt) => _runningAttempts.TryRemove(attempt, out _);

    private BuildClaim Running(BuildClaim claim)
    {
        _runningAttempts[claim.Attempt] = 0;
        return claim;
    }

    public BlobBlockSink CreateSink(string datasetId, DatasetFileSpec spec, Guid attempt) =>
        new(Container.GetBlockBlobClient(DatasetBlobLayout.DatasetBlob(datasetId, spec.Name)), attempt);

    /// <summary>Every dataset id that has a folder (committed, building or failed), in ordinal order.</summary>
    public async Task<List<string>> ListDatasetIdsAsync(CancellationToken ct)
    {
        var ids = new List<string>();
        await foreach (var item in Container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Delimiter = "/" }, ct))
        {
            if (!item.IsPrefix) continue;
            var id = item.Prefix.TrimEnd('/');
            if (DatasetBlobLayout.IsValidDatasetId(id)) ids.Add(id);
        }
        ids.Sort(StringComparer.Ordinal);
        return ids;
    }

    /// <summary>A seekable read stream over a committed dataset file.</summary>
    public async Task<Stream> OpenFileAsync(string datasetId, string name, CancellationToken ct) =>
        await Container.GetBlobClient(DatasetBlobLayout.DatasetBlob(datasetId, name))
            .OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 1 << 20 }, ct);

    internal static BinaryData Serialize(BuildProgress progress) =>
        new(JsonSerializer.SerializeToUtf8Bytes(progress, HeadSampleStore.JsonOptions));

    internal async Task<(BuildProgress Progress, ETag ETag)?> ReadProgressAsync(string datasetId, CancellationToken ct)
    {
        try
        {
            var content = await Container.GetBlobClient(DatasetBlobLayout.ProgressBlob(datasetId)).DownloadContentAsync(ct);
            var progress = JsonSerializer.Deserialize<BuildProgress>(content.Value.Content.ToMemory().Span, HeadSampleStore.JsonOptions)
                ?? throw new InvalidDataException($"Progress of dataset '{datasetId}' is null.");
            return (progress, content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}

/// <summary>An attempt's hold on a dataset build: reports progress (and so proves it is alive), fails or releases it.</summary>
public sealed class BuildClaim
{
    private readonly DatasetStore _store;
    private readonly BlobClient _blob;
    private ETag _etag;
    private DateTimeOffset _lastReport;

    internal BuildClaim(DatasetStore store, BlobClient blob, BuildProgress progress, ETag etag)
    {
        _store = store;
        _blob = blob;
        Progress = progress;
        _etag = etag;
        _lastReport = progress.UpdatedAt;
    }

    public BuildProgress Progress { get; private set; }

    public Guid Attempt => Progress.Attempt;

    /// <summary>Records progress; writes it at most once per <paramref name="interval"/> unless forced.</summary>
    public async Task ReportAsync(long done, long? total, long bytes, TimeSpan interval, bool force, CancellationToken ct)
    {
        var now = _store.Time.GetUtcNow();
        Progress = Progress with { HeadsDone = done, HeadsTotal = total, BytesWritten = bytes, UpdatedAt = now };
        if (!force && now - _lastReport < interval) return;
        await WriteAsync(Progress, ct);
        _lastReport = now;
    }

    /// <summary>Marks the build failed with its reason, so GET shows it and a retry may take over at once.</summary>
    public async Task FailAsync(string reason, CancellationToken ct)
    {
        Progress = Progress with { State = DatasetState.Failed, Error = reason, UpdatedAt = _store.Time.GetUtcNow() };
        await WriteAsync(Progress, ct);
    }

    /// <summary>Removes the progress marker once the manifest is committed.</summary>
    public async Task ReleaseAsync(CancellationToken ct)
    {
        try
        {
            await _blob.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = _etag }, cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    private async Task WriteAsync(BuildProgress progress, CancellationToken ct)
    {
        for (int tries = 1; ; tries++)
        {
            try
            {
                var response = await _blob.UploadAsync(DatasetStore.Serialize(progress), new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
                    Conditions = new BlobRequestConditions { IfMatch = _etag },
                }, ct);
                _etag = response.Value.ETag;
                return;
            }
            catch (RequestFailedException e) when (e.Status == 412 && tries == 1)
            {
                // Across a storage restart a write can land while its answer is lost; the client's retry then meets the
                // ETag that write made. Still this attempt's claim: carry on from the stored ETag.
                if (await _store.ReadProgressAsync(progress.DatasetId, ct) is not { } held
                    || held.Progress.Attempt != Attempt || held.Progress.State != DatasetState.Building)
                    throw new BuildClaimLostException(progress.DatasetId);
                _etag = held.ETag;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                throw new BuildClaimLostException(progress.DatasetId);
            }
        }
    }
}
