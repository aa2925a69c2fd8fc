using System.Runtime.CompilerServices;
using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Heads.Core.Geometry.Ply;

/// <summary>What <see cref="PlyWriter"/> puts in a file.</summary>
public sealed record PlyWriteOptions
{
    public static PlyWriteOptions Default { get; } = new();

    public PlyFormat Format { get; init; } = PlyFormat.BinaryLittleEndian;

    /// <summary>Write nx, ny, nz (float) per vertex.</summary>
    public bool IncludeNormals { get; init; }

    /// <summary>Write red, green, blue (uchar) per vertex when colours are given.</summary>
    public bool IncludeColors { get; init; } = true;

    public IReadOnlyList<string> Comments { get; init; } = [];
}

/// <summary>
/// PLY writer: float x, y, z; optional float nx, ny, nz; uchar red, green, blue; faces as
/// <c>property list uchar int vertex_indices</c>. Binary little endian by default; ASCII and big endian on request.
/// Also writes bare point clouds (no face element).
/// </summary>
public static class PlyWriter
{
    public static void Write(string path, HeadMesh mesh, PlyWriteOptions? options = null)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        Write(stream, mesh, options);
    }

    public static void Write(Stream stream, HeadMesh mesh, PlyWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        Write(stream, mesh.Positions, mesh.Colors, mesh.Triangles, mesh.Normals, options);
    }

    /// <summary>Writes a mesh from spans; empty <paramref name="colors"/> or <paramref name="normals"/> leave those properties out.</summary>
    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Write(Stream stream, ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, ReadOnlySpan<int> triangles, ReadOnlySpan<float> normals, PlyWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= PlyWriteOptions.Default;
        Validate(positions, colors, normals);
        if (triangles.Length % 3 != 0) throw new ArgumentException("Triangles must hold index triples.", nameof(triangles));
        int n = positions.Length / 3;
        foreach (int t in triangles)
            if ((uint)t >= (uint)n) throw new ArgumentOutOfRangeException(nameof(triangles), $"Triangle index {t} is outside 0..{n - 1}.");
        bool withNormals = options.IncludeNormals && !normals.IsEmpty;
        bool withColors = options.IncludeColors && !colors.IsEmpty;
        WriteHeader(stream, options.Format, options.Comments, n, withNormals, withColors, triangles.Length / 3);
        using var output = new PlyOutput(stream, options.Format);
        WriteVertices(output, positions, withColors ? colors : default, withNormals ? normals : default);
        for (int t = 0; t < triangles.Length; t += 3)
        {
            output.Reserve(13);
            output.Byte(3);
            output.Int(triangles[t]);
            output.Int(triangles[t + 1]);
            output.Int(triangles[t + 2]);
            output.EndRow();
        }
    }

    /// <summary>A point cloud: float x, y, z and uchar red, green, blue, no faces.</summary>
    public static void WritePointCloud(Stream stream, ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, PlyFormat format = PlyFormat.BinaryLittleEndian, IReadOnlyList<string>? comments = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Validate(positions, colors, default);
        WriteHeader(stream, format, comments ?? [], positions.Length / 3, false, !colors.IsEmpty, null);
        using var output = new PlyOutput(stream, format);
        WriteVertices(output, positions, colors, default);
    }

    private static void Validate(ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, ReadOnlySpan<float> normals)
    {
        if (positions.Length % 3 != 0) throw new ArgumentException("Positions must hold x, y, z triples.", nameof(positions));
        if (!colors.IsEmpty && colors.Length != positions.Length) throw new ArgumentException("Colours must hold one r, g, b triple per vertex.", nameof(colors));
        if (!normals.IsEmpty && normals.Length != positions.Length) throw new ArgumentException("Normals must hold one triple per vertex.", nameof(normals));
    }

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteVertices(PlyOutput output, ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, ReadOnlySpan<float> normals)
    {
        bool withNormals = !normals.IsEmpty, withColors = !colors.IsEmpty;
        for (int i = 0; i < positions.Length; i += 3)
        {
            output.Reserve(48);
            output.Float(positions[i]);
            output.Float(positions[i + 1]);
            output.Float(positions[i + 2]);
            if (withNormals)
            {
                output.Float(normals[i]);
                output.Float(normals[i + 1]);
                output.Float(normals[i + 2]);
            }
            if (withColors)
            {
                output.Byte(colors[i]);
                output.Byte(colors[i + 1]);
                output.Byte(colors[i + 2]);
            }
            output.EndRow();
        }
    }

    private static void WriteHeader(Stream stream, PlyFormat format, IReadOnlyList<string> comments, int vertices, bool normals, bool colors, int? faces)
    {
        var sb = new StringBuilder(256);
        sb.Append("ply\nformat ").Append(format switch
        {
            PlyFormat.Ascii => "ascii",
            PlyFormat.BinaryBigEndian => "binary_big_endian",
            _ => "binary_little_endian",
        }).Append(" 1.0\n");
        foreach (var c in comments)
        {
            if (c.AsSpan().IndexOfAny('\n', '\r') >= 0) throw new ArgumentException("A PLY comment cannot span lines.", nameof(comments));
            sb.Append("comment ").Append(c).Append('\n');
        }
        sb.Append("element vertex ").Append(vertices.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("property float x\nproperty float y\nproperty float z\n");
        if (normals) sb.Append("property float nx\nproperty float ny\nproperty float nz\n");
        if (colors) sb.Append("property uchar red\nproperty uchar green\nproperty uchar blue\n");
        if (faces is { } f)
            sb.Append("element face ").Append(f.ToString(CultureInfo.InvariantCulture)).Append("\nproperty list uchar int vertex_indices\n");
        sb.Append("end_header\n");
        var bytes = Encoding.ASCII.GetBytes(sb.ToString());
        stream.Write(bytes);
    }
}

/// <summary>Pooled output buffer that writes values in one PLY encoding.</summary>
internal sealed class PlyOutput : IDisposable
{
    private readonly Stream _stream;
    private readonly PlyFormat _format;
    private byte[] _buffer;
    private int _len;
    private bool _rowStarted;

    public PlyOutput(Stream stream, PlyFormat format)
    {
        _stream = stream;
        _format = format;
        _buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
    }

    /// <summary>Makes room for one row of at most <paramref name="binaryBytes"/> bytes (ASCII rows reserve more).</summary>
    public void Reserve(int binaryBytes)
    {
        int need = _format == PlyFormat.Ascii ? binaryBytes * 8 + 64 : binaryBytes;
        if (_buffer.Length - _len < need) Flush();
    }

    private Span<byte> Free => _buffer.AsSpan(_len);

    private void Separator()
    {
        if (_rowStarted) _buffer[_len++] = (byte)' ';
        _rowStarted = true;
    }

    public void Float(float v)
    {
        switch (_format)
        {
            case PlyFormat.BinaryLittleEndian: BinaryPrimitives.WriteSingleLittleEndian(Free, v); _len += 4; break;
            case PlyFormat.BinaryBigEndian: BinaryPrimitives.WriteSingleBigEndian(Free, v); _len += 4; break;
            default:
                Separator();
                // Shortest round-trip text keeps ASCII files exact.
                v.TryFormat(Free, out int written, "R", CultureInfo.InvariantCulture);
                _len += written;
                break;
        }
    }

    public void Int(int v)
    {
        switch (_format)
        {
            case PlyFormat.BinaryLittleEndian: BinaryPrimitives.WriteInt32LittleEndian(Free, v); _len += 4; break;
            case PlyFormat.BinaryBigEndian: BinaryPrimitives.WriteInt32BigEndian(Free, v); _len += 4; break;
            default:
                Separator();
                v.TryFormat(Free, out int written, default, CultureInfo.InvariantCulture);
                _len += written;
                break;
        }
    }

    public void Byte(byte v)
    {
        if (_format != PlyFormat.Ascii)
        {
            _buffer[_len++] = v;
            return;
        }
        Separator();
        v.TryFormat(Free, out int written, default, CultureInfo.InvariantCulture);
        _len += written;
    }

    public void EndRow()
    {
        if (_format == PlyFormat.Ascii) _buffer[_len++] = (byte)'\n';
        _rowStarted = false;
    }

    private void Flush()
    {
        if (_len == 0) return;
        _stream.Write(_buffer, 0, _len);
        _len = 0;
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
