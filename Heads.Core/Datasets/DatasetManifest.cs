using System.Text.Json;
using System.Text.Json.Serialization;
using Heads.Core.Contracts;

namespace Heads.Core.Datasets;

public enum DatasetFileRole
{
    Inputs,
    Targets,
}

/// <summary>Where a dataset's rows came from.</summary>
public enum DatasetOrigin
{
    /// <summary>Snapshot of the heads the dataset service processed.</summary>
    Heads,

    /// <summary>Original FaceTo3D train_x.dat / train_y.dat files from an import folder.</summary>
    Import,
}

/// <summary>One committed file of a dataset: its bytes are exactly <see cref="Rows"/> × <see cref="RowBytes"/>.</summary>
public sealed record DatasetFileEntry
{
    public required string Name { get; init; }
    public required DatasetPartition Partition { get; init; }
    public required DatasetFileRole Role { get; init; }
    public required int RowBytes { get; init; }
    public required long Rows { get; init; }
    public required long Bytes { get; init; }
    /// <summary>Lowercase hex SHA-256 of the whole file.</summary>
    public required string Sha256 { get; init; }
}

/// <summary>
/// datasets/{id}/manifest.json: what an immutable dataset holds. Written last, once, with a conditional create; the
/// files it lists are committed before it, so a manifest that exists describes complete files.
/// </summary>
public sealed record DatasetManifest
{
    public required string DatasetId { get; init; }
    public required DatasetKind Kind { get; init; }
    public required DatasetOrigin Origin { get; init; }
    public required string GeneratorVersion { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required double HeldOutFraction { get; init; }
    public string? HeadIdPrefix { get; init; }
    public int? Limit { get; init; }
    /// <summary>Import folder name (under the configured import root) for <see cref="DatasetOrigin.Import"/>.</summary>
    public string? ImportDirectory { get; init; }
    /// <summary>Every head (or imported row id) in dataset order; train and held-out files keep this order.</summary>
    public required IReadOnlyList<string> HeadIds { get; init; }
    public required IReadOnlyList<string> TrainHeadIds { get; init; }
    public required IReadOnlyList<string> HeldOutHeadIds { get; init; }
    public required long TrainRows { get; init; }
    public required long HeldOutRows { get; init; }
    public required IReadOnlyList<DatasetFileEntry> Files { get; init; }

    [JsonIgnore]
    public long TotalBytes => Files.Sum(f => f.Bytes);

    public DatasetFileEntry? FindFile(string name) => Files.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonOptions);

    /// <summary>Reads and checks a manifest; a malformed one is an <see cref="InvalidDataException"/> naming the problem.</summary>
    public static DatasetManifest Parse(ReadOnlySpan<byte> json, string what = "manifest")
    {
        DatasetManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DatasetManifest>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not a valid dataset manifest: {e.Message}", e);
        }
        if (manifest is null) throw new InvalidDataException($"{what} is empty (null).");
        manifest.Validate(what);
        return manifest;
    }

    public void Validate(string what = "manifest")
    {
        if (!ResourceIds.IsValid(DatasetId)) throw new InvalidDataException($"{what}: dataset id '{DatasetId}' is not valid.");
        var expected = DatasetLayout.Files(Kind).Select(f => f.Name).Order(StringComparer.Ordinal);
        if (!Files.Select(f => f.Name).Order(StringComparer.Ordinal).SequenceEqual(expected))
            throw new InvalidDataException($"{what}: files [{string.Join(", ", Files.Select(f => f.Name))}] are not the {Kind} set [{string.Join(", ", expected)}].");
        foreach (var f in Files)
        {
            if (f.Bytes != f.Rows * f.RowBytes)
                throw new InvalidDataException($"{what}: {f.Name} has {f.Bytes} bytes, but {f.Rows} rows of {f.RowBytes} bytes are {f.Rows * f.RowBytes}.");
            long rows = f.Partition == DatasetPartition.Train ? TrainRows : HeldOutRows;
            if (f.Rows != rows)
                throw new InvalidDataException($"{what}: {f.Name} has {f.Rows} rows; the {f.Partition} partition has {rows}.");
        }
        if (TrainHeadIds.Count + HeldOutHeadIds.Count != HeadIds.Count)
            throw new InvalidDataException($"{what}: {TrainHeadIds.Count} train + {HeldOutHeadIds.Count} held-out heads is not the {HeadIds.Count} heads listed.");
    }
}
