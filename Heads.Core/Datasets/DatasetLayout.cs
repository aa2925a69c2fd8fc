using Heads.Core.Contracts;
using Heads.Core.FaceTo3D;
using Heads.Core.Geometry;

namespace Heads.Core.Datasets;

/// <summary>Which part of a dataset a file holds.</summary>
public enum DatasetPartition
{
    Train,
    HeldOut,
}

/// <summary>One file of a dataset kind: its name, its partition, input or output, and the bytes of one row.</summary>
public sealed record DatasetFileSpec(string Name, DatasetPartition Partition, bool IsInput, int RowBytes);

/// <summary>
/// The files each dataset kind consists of, in the original byte formats: FaceNet as uint8 rows (1024-byte faces,
/// 32768-byte volumes), HeadsNet as little-endian float32 rows (2 inputs, 6 outputs).
/// </summary>
public static class DatasetLayout
{
    /// <summary>Written into every manifest so a reader knows which code produced the bytes.</summary>
    public const string GeneratorVersion = "heads-dataset/1";

    public const string ManifestName = "manifest.json";

    public const int HeadsNetInputBytes = HeadsNetRow.Inputs * sizeof(float);
    public const int HeadsNetOutputBytes = HeadsNetRow.Outputs * sizeof(float);
    public const int HeadsNetRowBytes = HeadsNetRow.Floats * sizeof(float);

    private static readonly IReadOnlyList<DatasetFileSpec> FaceNetFiles =
    [
        new("train_x.dat", DatasetPartition.Train, true, FaceTo3DFiles.FaceBytes),
        new("train_y.dat", DatasetPartition.Train, false, FaceTo3DFiles.VolumeBytes),
        new("heldout_x.dat", DatasetPartition.HeldOut, true, FaceTo3DFiles.FaceBytes),
        new("heldout_y.dat", DatasetPartition.HeldOut, false, FaceTo3DFiles.VolumeBytes),
    ];

    private static readonly IReadOnlyList<DatasetFileSpec> HeadsNetFiles =
    [
        new("train_x.f32", DatasetPartition.Train, true, HeadsNetInputBytes),
        new("train_y.f32", DatasetPartition.Train, false, HeadsNetOutputBytes),
        new("heldout_x.f32", DatasetPartition.HeldOut, true, HeadsNetInputBytes),
        new("heldout_y.f32", DatasetPartition.HeldOut, false, HeadsNetOutputBytes),
    ];

    public static IReadOnlyList<DatasetFileSpec> Files(DatasetKind kind) => kind switch
    {
        DatasetKind.FaceNet => FaceNetFiles,
        DatasetKind.HeadsNet => HeadsNetFiles,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown dataset kind."),
    };

    public static DatasetFileSpec File(DatasetKind kind, DatasetPartition partition, bool isInput) =>
        Files(kind).Single(f => f.Partition == partition && f.IsInput == isInput);
}
