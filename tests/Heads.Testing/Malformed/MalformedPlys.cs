using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Heads.Testing.Malformed;

/// <summary>What must become of a PLY: read as a head, read but refused as a head, or refused by the reader.</summary>
public enum MeshVerdict
{
    /// <summary>Legal PLY (perhaps odd) that makes a head's samples.</summary>
    Accepted,
    /// <summary>Legal PLY the reader accepts that cannot be a head (nothing to voxelise); the dataset service rejects it.</summary>
    NotAHead,
    /// <summary>Malformed: the reader throws a PlyFormatException whose message contains the reason.</summary>
    Rejected,
}

public sealed record PlyCase(string Name, byte[] Bytes, MeshVerdict Verdict, string Reason)
{
    public override string ToString() => Name;
}

/// <summary>
/// Malformed and odd PLY files built by code: wrong magic, truncation in header, vertices and faces (ASCII and binary),
/// counts that lie, huge headers, non-finite coordinates, huge polygons, both byte orders, bad declarations, indices out of
/// range, and legal oddities (CRLF, extra elements, big-endian) that must still be read.
/// </summary>
public static class MalformedPlys
{
    /// <summary>A unit cube as six quads: the valid baseline most cases are one change away from.</summary>
    public const string AsciiCube =
        "ply\nformat ascii 1.0\ncomment a unit cube\nelement vertex 8\nproperty float x\nproperty float y\nproperty float z\n" +
        "element face 6\nproperty list uchar int vertex_indices\nend_header\n" +
        "0 0 0\n1 0 0\n1 1 0\n0 1 0\n0 0 1\n1 0 1\n1 1 1\n0 1 1\n" +
        "4 0 3 2 1\n4 4 5 6 7\n4 0 1 5 4\n4 2 3 7 6\n4 1 2 6 5\n4 0 4 7 3\n";

    private static readonly float[] CubeVertices = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1];
    private static readonly int[][] CubeFaces = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [2, 3, 7, 6], [1, 2, 6, 5], [0, 4, 7, 3]];

    private static readonly Lazy<IReadOnlyList<PlyCase>> Cases = new(Build);

    public static IReadOnlyList<PlyCase> All => Cases.Value;

    public static PlyCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>The cube in a binary encoding; counts, vertices and faces can be replaced to make it lie.</summary>
    public static byte[] BinaryCube(bool bigEndian = false, string? declaredVertices = null, string? declaredFaces = null,
        float[]? vertices = null, int[][]? faces = null, string countType = "uchar", string indexType = "int", string headerFormat = "")
    {
        vertices ??= CubeVertices;
        faces ??= CubeFaces;
        var format = headerFormat != "" ? headerFormat : bigEndian ? "binary_big_endian" : "binary_little_endian";
        using var output = new MemoryStream();
        output.Write(Encoding.ASCII.GetBytes(
            $"ply\nformat {format} 1.0\nelement vertex {declaredVertices ?? (vertices.Length / 3).ToString(CultureInfo.InvariantCulture)}\n" +
            "property float x\nproperty float y\nproperty float z\n" +
            $"element face {declaredFaces ?? faces.Length.ToString(CultureInfo.InvariantCulture)}\nproperty list {countType} {indexType} vertex_indices\nend_header\n"));
        Span<byte> four = stackalloc byte[4];
        foreach (var v in vertices)
        {
            if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(four, v);
            else BinaryPrimitives.WriteSingleLittleEndian(four, v);
            output.Write(four);
        }
        foreach (var face in faces)
        {
            if (countType == "uchar") output.WriteByte((byte)face.Length);
            else
            {
                if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(four, face.Length);
                else BinaryPrimitives.WriteInt32LittleEndian(four, face.Length);
                output.Write(four);
            }
            foreach (var index in face)
            {
                if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(four, index);
                else BinaryPrimitives.WriteInt32LittleEndian(four, index);
                output.Write(four);
            }
        }
        return output.ToArray();
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static byte[] Cube(Func<string, string> edit) => Ascii(edit(AsciiCube));

    /// <summary>A fan of <paramref name="sides"/> vertices on a circle closed by one polygon, plus a cap point: a cone.</summary>
    private static byte[] Polygon(int sides)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"ply\nformat ascii 1.0\nelement vertex {sides + 1}\nproperty float x\nproperty float y\nproperty float z\n");
        text.Append(CultureInfo.InvariantCulture, $"element face {sides + 1}\nproperty list ushort int vertex_indices\nend_header\n");
        for (int i = 0; i < sides; i++)
        {
            double a = 2 * Math.PI * i / sides;
            text.Append(CultureInfo.InvariantCulture, $"{Math.Cos(a):F6} {Math.Sin(a):F6} 0\n");
        }
        text.Append("0 0 1\n");
        text.Append(CultureInfo.InvariantCulture, $"{sides}");
        for (int i = sides - 1; i >= 0; i--) text.Append(CultureInfo.InvariantCulture, $" {i}");
        text.Append('\n');
        for (int i = 0; i < sides; i++) text.Append(CultureInfo.InvariantCulture, $"3 {i} {(i + 1) % sides} {sides}\n");
        return Ascii(text.ToString());
    }

    private static byte[] HugeCommentHeader(int lines)
    {
        var text = new StringBuilder("ply\nformat ascii 1.0\n");
        for (int i = 0; i < lines; i++) text.Append("comment padding padding padding padding padding padding padding padding\n");
        return Ascii(text + AsciiCube["ply\nformat ascii 1.0\n".Length..]);
    }

    private static IReadOnlyList<PlyCase> Build()
    {
        var binary = BinaryCube();
        int binaryBody = binary.Length - (Encoding.ASCII.GetByteCount(Encoding.ASCII.GetString(binary).Split("end_header\n")[0]) + "end_header\n".Length);
        int vertexBytes = CubeVertices.Length * 4;
        int headerBytes = binary.Length - binaryBody;
        const MeshVerdict Ok = MeshVerdict.Accepted, Bad = MeshVerdict.Rejected, NotAHead = MeshVerdict.NotAHead;

        return
        [
            // Not a PLY at all.
            new("zero-bytes", [], Bad, "bad magic"),
            new("wrong-magic-uppercase", Ascii("PLY\n" + AsciiCube[4..]), Bad, "bad magic"),
            new("png-bytes", MalformedImages.Valid("png", 8, 8), Bad, "bad magic"),
            new("obj-file", Ascii("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"), Bad, "bad magic"),
            new("plyx-magic", Ascii("plyx\n" + AsciiCube[4..]), Bad, "bad magic"),

            // Header: truncated, huge, unknown or contradictory declarations.
            new("header-without-end", Ascii(AsciiCube[..AsciiCube.IndexOf("end_header", StringComparison.Ordinal)]), Bad, "end_header"),
            new("header-150k-comment-lines", HugeCommentHeader(150_000), Bad, "more than 10000 lines"),
            new("header-1mb-line", Ascii("ply\nformat ascii 1.0\ncomment " + new string('x', 1 << 20) + "\n" + AsciiCube[21..]), Bad, "longer than 4096"),
            new("header-nul-byte", Cube(s => s.Replace("a unit cube", "a unit\0cube")), Bad, "non-ASCII"),
            new("format-version-2", Cube(s => s.Replace("ascii 1.0", "ascii 2.0")), Bad, "version"),
            new("format-utf8", Cube(s => s.Replace("ascii 1.0", "utf8 1.0")), Bad, "unknown format"),
            new("no-format-line", Cube(s => s.Replace("format ascii 1.0\n", "")), Bad, "format"),
            new("unknown-property-type", Cube(s => s.Replace("property float z\n", "property float z\nproperty vec3 normal\n")), Bad, "unknown property type"),
            new("list-count-type-float", Cube(s => s.Replace("list uchar int", "list float int")), Bad, "not an integer type"),
            new("missing-z", Cube(s => s.Replace("property float z\n", "")), Bad, "'z'"),
            new("no-vertex-element", Ascii("ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n"), Bad, "no 'vertex' element"),
            new("duplicate-vertex-element", Cube(s => s.Replace("element face 6", "element vertex 8\nproperty float x\nelement face 6")), Bad, "declared twice"),
            new("negative-vertex-count", Cube(s => s.Replace("vertex 8", "vertex -8")), Bad, "invalid count"),
            new("vertex-count-over-int", Cube(s => s.Replace("vertex 8", "vertex 4294967304")), Bad, "invalid count"),

            // Counts that lie about the body.
            new("ascii-vertex-count-too-high", Cube(s => s.Replace("vertex 8", "vertex 9")), Bad, "after the last element"),
            new("ascii-vertex-count-too-low", Cube(s => s.Replace("vertex 8", "vertex 7")), Bad, "vertex index 7"),
            new("ascii-face-count-too-low", Cube(s => s.Replace("face 6", "face 5")), Bad, "after the last element"),
            new("binary-vertex-count-2-billion", BinaryCube(declaredVertices: "2000000000"), Bad, "vertices exceed the limit"),
            new("binary-vertex-count-1-million", BinaryCube(declaredVertices: "1000000"), Bad, "the stream has"),
            new("binary-face-count-int-max", BinaryCube(declaredFaces: "2147483647"), Bad, "faces exceed the limit"),
            new("binary-face-count-too-high", BinaryCube(declaredFaces: "7"), Bad, "ended early"),
            new("binary-trailing-garbage", [.. binary, .. MalformedImages.RandomBytes(100, seed: 2)], Bad, "after the last element"),

            // Truncated bodies.
            new("ascii-truncated-in-vertices", Ascii(AsciiCube[..AsciiCube.IndexOf("1 1 1\n", StringComparison.Ordinal)]), Bad, "the stream has"),
            new("ascii-truncated-in-faces", Ascii(AsciiCube[..^8]), Bad, "ended early"),
            new("binary-truncated-in-vertices", binary[..(headerBytes + vertexBytes / 2)], Bad, "the stream has"),
            new("binary-truncated-in-faces", binary[..^7], Bad, "ended early"),
            new("binary-header-only", binary[..headerBytes], Bad, "the stream has 0"),

            // Values: non-finite, unparsable, out of range.
            new("binary-nan-vertex", BinaryCube(vertices: [float.NaN, .. CubeVertices[1..]]), Bad, "non-finite"),
            new("binary-infinite-vertex", BinaryCube(vertices: [.. CubeVertices[..5], float.NegativeInfinity, .. CubeVertices[6..]]), Bad, "non-finite"),
            new("ascii-nan-vertex", Cube(s => s.Replace("1 1 1\n", "1 nan 1\n")), Bad, "non-finite"),
            new("ascii-float-overflow", Cube(s => s.Replace("1 1 1\n", "1 1e39 1\n")), Bad, "non-finite"),
            new("ascii-garbage-token", Cube(s => s.Replace("1 1 1\n", "1 1.0.0 1\n")), Bad, "not a valid float"),
            new("face-index-out-of-range", Cube(s => s.Replace("4 0 4 7 3", "4 0 4 7 8")), Bad, "vertex index 8"),
            new("face-index-negative", Cube(s => s.Replace("4 0 4 7 3", "4 0 4 7 -1")), Bad, "vertex index -1"),
            new("face-index-huge", Cube(s => s.Replace("4 0 4 7 3", "4 0 4 7 99999999999")), Bad, "vertex index 99999999999"),
            new("binary-face-index-int-max", BinaryCube(faces: [.. CubeFaces[..5], [0, 4, 7, int.MaxValue]]), Bad, "vertex index 2147483647"),
            new("polygon-5000-vertices", Polygon(5000), Bad, "count 5000"),
            new("list-count-negative", Cube(s => s.Replace("4 0 4 7 3", "-4 0 4 7 3")), Bad, "count -4"),
            new("big-endian-labelled-little", BinaryCube(bigEndian: true, headerFormat: "binary_little_endian"), Bad, "vertex index"),

            // Legal oddities that must still be read.
            new("big-endian", BinaryCube(bigEndian: true), Ok, ""),
            new("binary-little-endian", binary, Ok, ""),
            new("crlf-header", Ascii(AsciiCube.Replace("\n", "\r\n")), Ok, ""),
            new("tabs-and-spaces", Cube(s => s.Replace("1 1 1\n", "1\t 1  \t1 \n")), Ok, ""),
            new("polygon-1000-vertices", Polygon(1000), Ok, ""),
            new("extra-element-before-vertices", Cube(s => s.Replace("element vertex 8", "element material 1\nproperty list uchar uchar name\nelement vertex 8")
                .Replace("end_header\n", "end_header\n3 97 98 99\n")), Ok, ""),
            new("int-count-and-uint-indices", BinaryCube(countType: "int", indexType: "uint"), Ok, ""),
            new("extreme-coordinates", Cube(s => s.Replace("1 1 1\n", "3e38 -3e38 3e38\n")), Ok, ""),

            // Legal PLY that is no head.
            new("no-vertices", Ascii("ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n"), NotAHead, "no vertices"),
            new("all-vertices-identical", Cube(s => s[..s.IndexOf("0 0 0\n", StringComparison.Ordinal)] + string.Concat(Enumerable.Repeat("2 2 2\n", 8)) + s[(s.IndexOf("0 1 1\n", StringComparison.Ordinal) + 6)..]), NotAHead, "no extent"),
        ];
    }
}
