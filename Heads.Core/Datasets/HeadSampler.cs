using System.Runtime.InteropServices;
using Heads.Core.FaceTo3D;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;

namespace Heads.Core.Datasets;

/// <summary>Which input of a head could not be turned into samples.</summary>
public enum HeadSampleStage
{
    Mesh,
    Photo,
}

/// <summary>A head whose mesh or photo cannot become training samples; the message says what and why.</summary>
public sealed class HeadSampleException(string headId, HeadSampleStage stage, string reason, Exception? inner = null)
    : Exception($"Head '{headId}': {stage.ToString().ToLowerInvariant()}: {reason}", inner)
{
    public string HeadId { get; } = headId;
    public HeadSampleStage Stage { get; } = stage;
    public string Reason { get; } = reason;
}

/// <summary>
/// The training samples of one head: the 32×32 face (1024 bytes), the 32³ volume (32768 bytes, index z·1024+y·32+x)
/// and the HeadsNet rows (one per mesh vertex, 8 little-endian float32 each: seed, sphere coordinate, x, y, z, r, g, b).
/// </summary>
public sealed record HeadSample(
    string HeadId,
    float HeadsNetSeed,
    byte[] Face,
    byte[] Volume,
    byte[] HeadsNetRows,
    int VertexCount,
    int TriangleCount,
    int OccupiedVoxels)
{
    public const string FaceName = "face.u8";
    public const string VolumeName = "volume.u8";
    public const string HeadsNetName = "headsnet.f32";

    public long HeadsNetRowCount => HeadsNetRows.LongLength / DatasetLayout.HeadsNetRowBytes;
}

/// <summary>
/// Turns a head's stored mesh (PLY) and photo into its samples with the geometry core. Thread-safe: the encoder's
/// icosphere index is immutable and every call has its own buffers.
/// </summary>
public sealed class HeadSampler(HeadsNetEncoder? encoder = null, VoxelizerOptions? voxelizer = null, PlyReadOptions? plyOptions = null)
{
    private readonly HeadsNetEncoder _encoder = encoder ?? new HeadsNetEncoder();
    private readonly VoxelizerOptions _voxelizer = voxelizer ?? VoxelizerOptions.Default;
    private readonly PlyReadOptions _ply = plyOptions ?? PlyReadOptions.Default;

    public HeadSample Sample(string headId, Stream mesh, Stream photo)
    {
        ArgumentException.ThrowIfNullOrEmpty(headId);
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(photo);

        var head = ReadMesh(headId, mesh);
        byte[] volume;
        try
        {
            volume = Voxelizer.Voxelize(head, _voxelizer).Data;
        }
        catch (ArgumentException e)
        {
            throw new HeadSampleException(headId, HeadSampleStage.Mesh, "cannot be voxelised: " + e.Message, e);
        }
        int occupied = VoxelVolume.CountOccupied(volume);
        if (occupied == 0) throw new HeadSampleException(headId, HeadSampleStage.Mesh, "voxelises to an empty volume.");
        if (volume.Length != FaceTo3DFiles.VolumeBytes)
            throw new HeadSampleException(headId, HeadSampleStage.Mesh, $"volume has {volume.Length} bytes, not {FaceTo3DFiles.VolumeBytes}.");

        byte[] face;
        try
        {
            face = FaceImage.Load(photo);
        }
        catch (FaceImageException e)
        {
            throw new HeadSampleException(headId, HeadSampleStage.Photo, e.Message, e);
        }

        float seed = HeadSeed.For(headId);
        var rows = new float[head.VertexCount * HeadsNetRow.Floats];
        try
        {
            _encoder.Encode(head, seed, rows);
        }
        catch (ArgumentException e)
        {
            throw new HeadSampleException(headId, HeadSampleStage.Mesh, "cannot be encoded as HeadsNet rows: " + e.Message, e);
        }
        return new HeadSample(headId, seed, face, volume, LittleEndianBytes(rows), head.VertexCount, head.TriangleCount, occupied);
    }

    private HeadMesh ReadMesh(string headId, Stream mesh)
    {
        HeadMesh head;
        try
        {
            head = PlyReader.ReadHeadMesh(mesh, _ply);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or EndOfStreamException or InvalidDataException)
        {
            throw new HeadSampleException(headId, HeadSampleStage.Mesh, e.Message, e);
        }
        if (head.VertexCount == 0) throw new HeadSampleException(headId, HeadSampleStage.Mesh, "has no vertices.");
        // A mesh collapsed to one point still fills one voxel, which would enter a dataset as a "head".
        if (!HasExtent(head.Positions))
            throw new HeadSampleException(headId, HeadSampleStage.Mesh, $"has no extent: all {head.VertexCount} vertices are at one point.");
        return head;
    }

    private static bool HasExtent(ReadOnlySpan<float> positions)
    {
        for (int i = 3; i < positions.Length; i += 3)
            if (positions[i] != positions[0] || positions[i + 1] != positions[1] || positions[i + 2] != positions[2]) return true;
        return false;
    }

    /// <summary>float32 values as little-endian bytes, the dataset byte order on every platform.</summary>
    public static byte[] LittleEndianBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
                System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }
        return bytes;
    }
}
