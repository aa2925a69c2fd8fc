using System.Collections.Concurrent;
using Heads.Core.Contracts;

namespace Dataset.Service.Building;

/// <summary>What this instance knows of a build before (or without) storage knowing: accepted over HTTP, or failed before it claimed anything.</summary>
public sealed record LocalBuildStatus(string DatasetId, DatasetKind Kind, DatasetState State, DateTimeOffset At, string? Error = null);

/// <summary>
/// Builds accepted by this instance that have not reached storage yet, so GET /api/v1/datasets/{id} answers "queued"
/// between the 202 and the consumer picking the command up. Storage stays the source of truth once a build starts.
/// </summary>
public sealed class DatasetBuildRegistry(TimeProvider time)
{
    private const int Capacity = 1000;
    private readonly ConcurrentDictionary<string, LocalBuildStatus> _builds = new(StringComparer.Ordinal);

    /// <summary>False when this instance already has the id queued.</summary>
    public bool TryQueue(string datasetId, DatasetKind kind)
    {
        Trim();
        var queued = new LocalBuildStatus(datasetId, kind, DatasetState.Queued, time.GetUtcNow());
        return ReferenceEquals(_builds.AddOrUpdate(datasetId, queued, (_, old) => old.State == DatasetState.Queued ? old : queued), queued);
    }

    public LocalBuildStatus? Find(string datasetId) => _builds.TryGetValue(datasetId, out var s) ? s : null;

    public IReadOnlyCollection<LocalBuildStatus> All => _builds.Values.ToList();

    /// <summary>The build reached storage (progress marker or manifest): storage answers from now on.</summary>
    public void Forget(string datasetId) => _builds.TryRemove(datasetId, out _);

    public void Failed(string datasetId, DatasetKind kind, string reason) =>
        _builds[datasetId] = new LocalBuildStatus(datasetId, kind, DatasetState.Failed, time.GetUtcNow(), reason);

    private void Trim()
    {
        if (_builds.Count < Capacity) return;
        foreach (var old in _builds.Values.Where(b => b.State == DatasetState.Failed).OrderBy(b => b.At).Take(_builds.Count - Capacity + 1))
            _builds.TryRemove(old.DatasetId, out _);
    }
}
