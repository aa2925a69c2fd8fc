namespace Heads.Core.Contracts;

/// <summary>Command: produce <see cref="Count"/> heads from a source and store each as faces/{id}.jpg + meshes/{id}.ply.</summary>
public sealed record ScrapeHeads
{
    public required Guid ScrapeId { get; init; }
    public required int Count { get; init; }
    /// <summary>synthetic (default), http or folder.</summary>
    public string Source { get; init; } = "synthetic";
    /// <summary>First seed for seeded sources; head i uses Seed + i, so ids are deterministic.</summary>
    public long Seed { get; init; } = 1;
}

/// <summary>Event: one head (photo + mesh) is in storage.</summary>
public sealed record HeadScraped
{
    public required string HeadId { get; init; }
    public required Guid ScrapeId { get; init; }
    public required string Source { get; init; }
    public long? Seed { get; init; }
    public required string FaceBlob { get; init; }
    public required string MeshBlob { get; init; }
    public required DateTimeOffset ScrapedAt { get; init; }
}

/// <summary>Event: a scrape ended; the heads it stored or found already present are listed so a pipeline can wait for them.</summary>
public sealed record ScrapeCompleted
{
    public required Guid ScrapeId { get; init; }
    public required string Source { get; init; }
    public required IReadOnlyList<string> HeadIds { get; init; }
    public required int Failed { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
}
