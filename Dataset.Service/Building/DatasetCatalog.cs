using Heads.Core.Contracts;
using Heads.Core.Datasets;

namespace Dataset.Service.Building;

/// <summary>A dataset file with the link that downloads it.</summary>
public sealed record DatasetFileLink(string Name, DatasetPartition Partition, DatasetFileRole Role, int RowBytes, long Rows, long Bytes, string Sha256, string Href);

/// <summary>GET /api/v1/datasets/{id}: the manifest with download links when ready, progress while building, the reason when failed.</summary>
public sealed record DatasetStatus
{
    public required string DatasetId { get; init; }
    public required DatasetState State { get; init; }
    public DatasetKind? Kind { get; init; }
    public long? HeadsDone { get; init; }
    public long? HeadsTotal { get; init; }
    public long? BytesWritten { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    /// <summary>True when a building dataset's progress has not moved for longer than the stale limit (its builder probably died).</summary>
    public bool Stalled { get; init; }
    public string? Error { get; init; }
    public DatasetManifest? Manifest { get; init; }
    public IReadOnlyList<DatasetFileLink>? Files { get; init; }
}

/// <summary>One row of GET /api/v1/datasets.</summary>
public sealed record DatasetSummary(
    string DatasetId, DatasetState State, DatasetKind? Kind, int? Heads, long? TrainRows, long? HeldOutRows, long? Bytes,
    DateTimeOffset? CreatedAt, string? Error, string Href);

public sealed record DatasetsPage(int Count, int Offset, int Limit, IReadOnlyList<DatasetSummary> Datasets);

/// <summary>Answers what datasets exist and in which state, from storage first and this instance's queue second.</summary>
public sealed class DatasetCatalog(DatasetStore store, DatasetBuildRegistry registry)
{
    public static string Href(string datasetId) => $"/api/v1/datasets/{datasetId}";

    public static string FileHref(string datasetId, string name) => $"/api/v1/datasets/{datasetId}/files/{name}";

    public async Task<DatasetStatus?> FindAsync(string datasetId, CancellationToken ct)
    {
        if (await store.FindManifestAsync(datasetId, ct) is { } manifest)
        {
            return new DatasetStatus
            {
                DatasetId = datasetId,
                State = DatasetState.Ready,
                Kind = manifest.Kind,
                HeadsDone = manifest.HeadIds.Count,
                HeadsTotal = manifest.HeadIds.Count,
                BytesWritten = manifest.TotalBytes,
                UpdatedAt = manifest.CreatedAt,
                Manifest = manifest,
                Files = manifest.Files.Select(f => new DatasetFileLink(f.Name, f.Partition, f.Role, f.RowBytes, f.Rows, f.Bytes, f.Sha256, FileHref(datasetId, f.Name))).ToList(),
            };
        }
        if (await store.FindProgressAsync(datasetId, ct) is { } progress)
        {
            return new DatasetStatus
            {
                DatasetId = datasetId,
                State = progress.State,
                Kind = progress.Kind,
                HeadsDone = progress.HeadsDone,
                HeadsTotal = progress.HeadsTotal,
                BytesWritten = progress.BytesWritten,
                StartedAt = progress.StartedAt,
                UpdatedAt = progress.UpdatedAt,
                Stalled = store.IsStale(progress),
                Error = progress.Error,
            };
        }
        if (registry.Find(datasetId) is { } local)
            return new DatasetStatus { DatasetId = datasetId, State = local.State, Kind = local.Kind, UpdatedAt = local.At, Error = local.Error };
        return null;
    }

    public async Task<DatasetsPage> ListAsync(int offset, int limit, CancellationToken ct)
    {
        var ids = await store.ListDatasetIdsAsync(ct);
        ids = [.. ids.Union(registry.All.Select(b => b.DatasetId), StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        var page = ids.Skip(offset).Take(limit).ToList();
        var statuses = new DatasetStatus?[page.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, page.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct },
            async (i, token) => statuses[i] = await FindAsync(page[i], token));
        var rows = statuses.OfType<DatasetStatus>().Select(s => new DatasetSummary(
            s.DatasetId, s.State, s.Kind, s.Manifest?.HeadIds.Count, s.Manifest?.TrainRows, s.Manifest?.HeldOutRows, s.Manifest?.TotalBytes,
            s.Manifest?.CreatedAt, s.Error, Href(s.DatasetId))).ToList();
        return new DatasetsPage(ids.Count, offset, limit, rows);
    }
}
