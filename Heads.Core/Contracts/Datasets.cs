namespace Heads.Core.Contracts;

public enum DatasetKind
{
    FaceNet,
    HeadsNet,
}

/// <summary>Command: snapshot the processed heads into an immutable, versioned dataset.</summary>
public sealed record BuildDataset
{
    public required string DatasetId { get; init; }
    public required DatasetKind Kind { get; init; }
    public int? Limit { get; init; }
    /// <summary>Only heads whose id starts with this prefix (e.g. one scrape's seed range "syn-").</summary>
    public string? HeadIdPrefix { get; init; }
    public double HeldOutFraction { get; init; } = 0.1;
}

/// <summary>Event: datasets/{id}/manifest.json is committed.</summary>
public sealed record DatasetBuilt
{
    public required string DatasetId { get; init; }
    public required DatasetKind Kind { get; init; }
    public required int HeadCount { get; init; }
    public required long TrainRows { get; init; }
    public required long HeldOutRows { get; init; }
    public required string ManifestBlob { get; init; }
}
