using System.Text.Json;
using System.Text.Json.Serialization;

namespace Heads.Core.Training;

/// <summary>
/// How well a HeadsNet draws the heads it was trained on, and whether a seed between two of them draws a head.
/// Distances are in units of the head's largest bounding-box extent; Chamfer is the mean nearest-neighbour distance
/// taken both ways (the average of generated → true and true → generated).
/// </summary>
public sealed record HeadsNetQualityReport
{
    /// <summary>The bar: a model below it draws something, not yet the heads.</summary>
    public const double MaxMedianChamfer = 0.012;
    public const double MinMedianCoverage = 0.85;
    public const double MaxMedianMidSeedChamfer = 0.03;
    /// <summary>A true point is covered when a generated point lies within this distance (head extents).</summary>
    public const double CoverageRadius = 0.02;

    /// <summary>Heads in the training set.</summary>
    public required int TrainingHeads { get; init; }
    /// <summary>Points generated per head.</summary>
    public required int GeneratedPoints { get; init; }
    /// <summary>Most true points compared per head (an even thinning of larger heads).</summary>
    public required int ReferencePoints { get; init; }
    public required double MedianChamfer { get; init; }
    public required double MedianCoverage { get; init; }
    /// <summary>Median over heads of the mean absolute colour error (0..255) of a generated point against its nearest true point.</summary>
    public required double MedianColorMae { get; init; }
    /// <summary>Null when the set has fewer than two heads.</summary>
    public required double? MedianMidSeedChamfer { get; init; }
    public required double? MaxMidSeedChamfer { get; init; }
    public required bool MeetsBar { get; init; }
    /// <summary>Which thresholds the model misses, for people; null when it meets the bar.</summary>
    public string? Reason { get; init; }
    /// <summary>The evaluated heads (all, or an even sample of the sorted seeds when there are many).</summary>
    public required IReadOnlyList<HeadsNetHeadQuality> Heads { get; init; }
    public required IReadOnlyList<HeadsNetMidSeedQuality> MidSeeds { get; init; }

    /// <summary>One line for people: the figures against the bar, or <see cref="Reason"/>.</summary>
    public string Verdict() => MeetsBar
        ? $"meets the HeadsNet bar: median Chamfer {MedianChamfer:F4} ≤ {MaxMedianChamfer}, coverage {MedianCoverage:P1} ≥ {MinMedianCoverage:P0}" +
          (MedianMidSeedChamfer is double mid ? $", mid-seed Chamfer {mid:F4} ≤ {MaxMedianMidSeedChamfer}" : "")
        : Reason ?? "below the HeadsNet bar";
}

/// <summary>One training head against the head generated from its seed.</summary>
public sealed record HeadsNetHeadQuality
{
    public required float Seed { get; init; }
    public required double Chamfer { get; init; }
    /// <summary>Share of the head's true points with a generated point within <see cref="HeadsNetQualityReport.CoverageRadius"/>.</summary>
    public required double Coverage { get; init; }
    public required double ColorMae { get; init; }
}

/// <summary>The head generated halfway between two neighbouring training seeds, against the nearer of the two heads.</summary>
public sealed record HeadsNetMidSeedQuality
{
    public required float Seed { get; init; }
    public required float Lower { get; init; }
    public required float Upper { get; init; }
    public required double Chamfer { get; init; }
}

/// <summary>
/// Reads a job manifest's HeadsNet report; a report from before <see cref="HeadsNetQualityReport"/> (one head's Chamfer,
/// another shape) reads as none rather than failing the whole manifest.
/// </summary>
public sealed class HeadsNetQualityReportJsonConverter : JsonConverter<HeadsNetQualityReport>
{
    public override HeadsNetQualityReport? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) return null;
        bool current = root.EnumerateObject().Any(p => string.Equals(p.Name, nameof(HeadsNetQualityReport.MedianChamfer), StringComparison.OrdinalIgnoreCase));
        return current ? root.Deserialize<HeadsNetQualityReport>(options) : null;
    }

    public override void Write(Utf8JsonWriter writer, HeadsNetQualityReport value, JsonSerializerOptions options) =>
        JsonSerializer.Serialize(writer, value, options);
}
