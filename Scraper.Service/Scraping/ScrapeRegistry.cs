using System.Collections.Concurrent;

namespace Scraper.Service.Scraping;

public enum ScrapeState
{
    Queued,
    Running,
    Completed,
    Cancelled,
    Failed,
}

/// <summary>What GET /api/v1/scrapes/{id} shows.</summary>
public sealed record ScrapeStatus
{
    public required Guid ScrapeId { get; init; }
    public required string Source { get; init; }
    public required int Requested { get; init; }
    public required long Seed { get; init; }
    public ScrapeState State { get; init; } = ScrapeState.Queued;
    public int Stored { get; init; }
    public int AlreadyPresent { get; init; }
    public int Failed { get; init; }
    public double HeadsPerSecond { get; init; }
    public DateTimeOffset QueuedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? Error { get; init; }
    public IReadOnlyList<string> LastHeadIds { get; init; } = [];
    public int Done => Stored + AlreadyPresent + Failed;
}

/// <summary>Progress and cancellation of this instance's scrapes (the scraper runs as one instance).</summary>
public sealed class ScrapeRegistry
{
    private const int Capacity = 500;
    private readonly ConcurrentDictionary<Guid, ScrapeStatus> _statuses = new();
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _cancellations = new();

    public ScrapeStatus Register(ScrapeStatus status)
    {
        var stored = _statuses.GetOrAdd(status.ScrapeId, status);
        if (_statuses.Count > Capacity)
        {
            foreach (var old in _statuses.Values.Where(s => s.FinishedAt is not null).OrderBy(s => s.FinishedAt).Take(_statuses.Count - Capacity))
                _statuses.TryRemove(old.ScrapeId, out _);
        }
        return stored;
    }

    public ScrapeStatus? Find(Guid id) => _statuses.TryGetValue(id, out var s) ? s : null;

    public IReadOnlyList<ScrapeStatus> All() => _statuses.Values.OrderByDescending(s => s.QueuedAt).ToList();

    public void Update(Guid id, Func<ScrapeStatus, ScrapeStatus> change) =>
        _statuses.AddOrUpdate(id, _ => throw new KeyNotFoundException($"Scrape {id} is not registered."), (_, s) => change(s));

    /// <summary>A token that fires when the scrape is cancelled over HTTP or the host stops.</summary>
    public CancellationTokenSource Track(Guid id, CancellationToken hostToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(hostToken);
        var existing = _cancellations.GetOrAdd(id, cts);
        if (!ReferenceEquals(existing, cts))
        {
            // Cancelled before it started: honour it.
            if (existing.IsCancellationRequested) cts.Cancel();
            _cancellations[id] = cts;
        }
        return cts;
    }

    public void Untrack(Guid id)
    {
        if (_cancellations.TryRemove(id, out var cts)) cts.Dispose();
    }

    /// <summary>Cancels a queued or running scrape; false when it is unknown or already over.</summary>
    public bool Cancel(Guid id)
    {
        var status = Find(id);
        if (status is null || status.FinishedAt is not null) return false;
        var cts = _cancellations.GetOrAdd(id, _ => new CancellationTokenSource());
        cts.Cancel();
        return true;
    }
}
