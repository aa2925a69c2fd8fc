using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Heads.Core.Geometry.Ply;

namespace Heads.Geometry.Tests;

public class PlyMalformedTests
{
    private const string AsciiTriangle = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n";

    private static PlyFormatException Fails(byte[] bytes, PlyReadOptions? options = null, bool seekable = true)
    {
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<PlyFormatException>(() => PlyReader.Read(seekable ? new MemoryStream(bytes) : new NonSeekableStream(bytes), options));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), "fails fast");
        Assert.StartsWith("PLY: ", e.Message);
        return e;
    }

    private static PlyFormatException Fails(string ascii, PlyReadOptions? options = null, bool seekable = true) => Fails(Encoding.ASCII.GetBytes(ascii), options, seekable);

    private static byte[] BinaryTriangle(int vertexCount = 3, int faceCount = 1, float x0 = 0, int index2 = 2, int declaredVertices = -1, int declaredFaces = -1)
    {
        using var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes($"ply\nformat binary_little_endian 1.0\nelement vertex {(declaredVertices < 0 ? vertexCount : declaredVertices)}\nproperty float x\nproperty float y\nproperty float z\nelement face {(declaredFaces < 0 ? faceCount : declaredFaces)}\nproperty list uchar int vertex_indices\nend_header\n"));
        Span<byte> b = stackalloc byte[4];
        for (int v = 0; v < vertexCount; v++)
            foreach (var f in new[] { v == 0 ? x0 : v, 0f, 0f })
            {
                BinaryPrimitives.WriteSingleLittleEndian(b, f);
                ms.Write(b);
            }
        for (int f = 0; f < faceCount; f++)
        {
            ms.WriteByte(3);
            foreach (var i in new[] { 0, 1, index2 })
            {
                BinaryPrimitives.WriteInt32LittleEndian(b, i);
                ms.Write(b);
            }
        }
        return ms.ToArray();
    }

    [Fact]
    public void Valid_fixtures_parse() // the malformed cases below are each one change away from these
    {
        Assert.Equal(3, PlyReader.Read(new MemoryStream(Encoding.ASCII.GetBytes(AsciiTriangle))).VertexCount);
        Assert.Equal(3, PlyReader.Read(new MemoryStream(BinaryTriangle())).TriangleCount * 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("PLY\n")]
    [InlineData("\x89PNG\r\n")]
    [InlineData("plyx\nformat ascii 1.0\n")]
    public void Bad_magic(string start)
    {
        var e = Fails(start + "rest of file");
        Assert.Contains("magic", e.Message);
        Assert.Equal(0, e.ByteOffset);
    }

    [Fact]
    public void Header_without_end_header_names_the_line()
    {
        var e = Fails("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n");
        Assert.Contains("end_header", e.Message);
        Assert.Equal(5, e.Line);
    }

    [Theory]
    [InlineData("format ascii 2.0", "version")]
    [InlineData("format utf8 1.0", "unknown format")]
    [InlineData("element vertex -3", "invalid count")]
    [InlineData("element vertex 99999999999", "invalid count")]
    [InlineData("property float w", "property before any element")]
    [InlineData("property list float int vertex_indices", "property before any element")]
    public void Bad_header_lines_name_their_line(string badLine, string expected)
    {
        var e = Fails(AsciiTriangle.Replace("format ascii 1.0\n", badLine.StartsWith("format") ? badLine + "\n" : "format ascii 1.0\n" + badLine + "\n"));
        Assert.Contains(expected, e.Message);
        Assert.NotNull(e.Line);
    }

    [Theory]
    [InlineData("Created by Blender 4.2")]
    [InlineData("frobnicate 1")]
    public void Unknown_header_keywords_are_skipped_with_a_warning(string line)
    {
        // As assimp and the other common readers do: a real exported file with such a line is still a mesh.
        var mesh = PlyReader.Read(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(AsciiTriangle.Replace("format ascii 1.0\n", "format ascii 1.0\n" + line + "\n"))));
        Assert.Equal(3, mesh.Positions.Length / 3);
        var warning = Assert.Single(mesh.Header.Warnings);
        Assert.Contains("unknown header keyword '" + line.Split(' ')[0] + "'", warning);
        Assert.Contains("line 3", warning);
    }

    [Theory]
    [InlineData("property list float int vertex_indices", "not an integer type")]
    [InlineData("property vec3 normal", "unknown property type")]
    public void Bad_property_declarations(string property, string expected)
    {
        var e = Fails(AsciiTriangle.Replace("property float z\n", "property float z\n" + property + "\n"));
        Assert.Contains(expected, e.Message);
        Assert.Equal(7, e.Line);
    }

    [Fact]
    public void Missing_vertex_element_or_coordinates()
    {
        Assert.Contains("no 'vertex' element", Fails("ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n").Message);
        Assert.Contains("no scalar 'z'", Fails(AsciiTriangle.Replace("property float z\n", "")).Message);
        Assert.Contains("no 'vertex_indices'", Fails(AsciiTriangle.Replace("vertex_indices", "corners")).Message);
    }

    [Fact]
    public void Header_line_too_long()
    {
        var e = Fails("ply\nformat ascii 1.0\ncomment " + new string('x', 5000) + "\n" + AsciiTriangle[4..]);
        Assert.Contains("longer than 4096", e.Message);
        Assert.Equal(3, e.Line);
        // A stream of junk with no newline also stops at the limit instead of buffering it all.
        var junk = new byte[10_000_000];
        "ply\n"u8.CopyTo(junk);
        junk.AsSpan(4).Fill((byte)'a');
        var stream = new NonSeekableStream(junk, 4096);
        Assert.Throws<PlyFormatException>(() => PlyReader.Read(stream, new PlyReadOptions { MaxHeaderLineLength = 100 }));
        Assert.True(stream.Reads < 10, $"read {stream.Reads} chunks before failing");
    }

    [Fact]
    public void Too_many_header_lines()
    {
        var sb = new StringBuilder("ply\nformat ascii 1.0\n");
        for (int i = 0; i < 200; i++) sb.Append("comment spam\n");
        var e = Fails(sb + AsciiTriangle[21..], new PlyReadOptions { MaxHeaderLines = 100 });
        Assert.Contains("more than 100 lines", e.Message);
        Assert.Equal(101, e.Line);
    }

    [Fact]
    public void Binary_bytes_in_the_header()
    {
        var bytes = Encoding.ASCII.GetBytes(AsciiTriangle);
        bytes[25] = 0xFF;
        Assert.Contains("non-ASCII", Fails(bytes).Message);
    }

    [Fact]
    public void Vertex_count_over_the_cap_fails_before_reading_the_body()
    {
        var e = Fails(BinaryTriangle(), new PlyReadOptions { MaxVertices = 2 });
        Assert.Contains("3 vertices exceed the limit of 2", e.Message);
        Assert.Equal("vertex", e.Element);
        var f = Fails(BinaryTriangle(faceCount: 5), new PlyReadOptions { MaxFaces = 4 });
        Assert.Contains("5 faces exceed the limit of 4", f.Message);
    }

    [Fact]
    public void Counts_that_lie_on_a_seekable_stream_fail_before_allocating()
    {
        // Two billion vertices in a 200-byte file: rejected by length, no 24 GB array.
        var e = Fails(BinaryTriangle(declaredVertices: 2_000_000_000), new PlyReadOptions { MaxVertices = int.MaxValue });
        Assert.Contains("stream has", e.Message);
        Assert.Equal("vertex", e.Element);
        var f = Fails(BinaryTriangle(declaredFaces: 1_000_000), new PlyReadOptions { MaxFaces = int.MaxValue });
        Assert.Equal("face", f.Element);
    }

    [Fact]
    public void Counts_that_lie_on_a_non_seekable_stream_fail_as_truncation_without_huge_allocation()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Fails(BinaryTriangle(declaredVertices: 2_000_000_000), new PlyReadOptions { MaxVertices = int.MaxValue }, seekable: false);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("stream ended early", e.Message);
        Assert.Equal("vertex", e.Element);
        Assert.True(e.Index >= 3, $"row {e.Index}");
        Assert.True(allocated < 16_000_000, $"allocated {allocated} bytes");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Truncated_binary_body_names_element_row_and_offset(bool seekable)
    {
        var full = BinaryTriangle(vertexCount: 3, faceCount: 2);
        var e = Fails(full[..^5], seekable: seekable);
        Assert.Contains("stream ended early", e.Message);
        Assert.Equal("face", e.Element);
        Assert.Equal(1, e.Index);
        Assert.Equal(full.Length - 5, e.ByteOffset);
    }

    [Fact]
    public void Truncated_ascii_body_names_the_line()
    {
        var e = Fails(AsciiTriangle[..^4], seekable: false);
        Assert.Contains("stream ended early", e.Message);
        Assert.Equal("face", e.Element);
        Assert.Equal(0, e.Index);
        Assert.Equal(13, e.Line);
    }

    [Fact]
    public void Ascii_count_too_small_leaves_data_that_is_reported()
    {
        var e = Fails(AsciiTriangle.Replace("element face 1", "element face 0"));
        Assert.Contains("after the last element", e.Message);
        Assert.Equal(13, e.Line);
    }

    [Fact]
    public void Ascii_garbage_value_names_property_line_and_row()
    {
        var e = Fails(AsciiTriangle.Replace("1 0 0\n", "1 zero 0\n"));
        Assert.Contains("'zero' is not a valid float for property 'y'", e.Message);
        Assert.Equal("vertex", e.Element);
        Assert.Equal(1, e.Index);
        Assert.Equal(11, e.Line);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_binary_coordinates(float bad)
    {
        var e = Fails(BinaryTriangle(x0: bad));
        Assert.Contains("non-finite coordinate", e.Message);
        Assert.Equal("vertex", e.Element);
        Assert.Equal(0, e.Index);
    }

    [Theory]
    [InlineData("nan")]
    [InlineData("NaN")]
    [InlineData("inf")]
    [InlineData("-Infinity")]
    public void Non_finite_ascii_coordinates(string bad)
    {
        var e = Fails(AsciiTriangle.Replace("0 1 0\n", $"0 {bad} 0\n"));
        Assert.Equal("vertex", e.Element);
        Assert.Equal(2, e.Index);
    }

    [Fact]
    public void Non_finite_coordinates_are_allowed_when_asked()
    {
        var mesh = PlyReader.Read(new MemoryStream(BinaryTriangle(x0: float.NaN)), new PlyReadOptions { RequireFiniteCoordinates = false });
        Assert.True(float.IsNaN(mesh.Positions[0]));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Face_index_out_of_range(int bad)
    {
        var e = Fails(BinaryTriangle(index2: bad));
        Assert.Contains($"vertex index {bad}", e.Message);
        Assert.Equal("face", e.Element);
        Assert.Equal(0, e.Index);
        Assert.NotNull(e.ByteOffset);
        var a = Fails(AsciiTriangle.Replace("3 0 1 2", $"3 0 1 {bad}"));
        Assert.Equal("face", a.Element);
        Assert.Equal(13, a.Line);
    }

    [Fact]
    public void Polygon_larger_than_the_cap()
    {
        var e = Fails(AsciiTriangle.Replace("3 0 1 2", "200 0 1 2"), new PlyReadOptions { MaxPolygonVertices = 100 });
        Assert.Contains("count 200", e.Message);
        var n = Fails(AsciiTriangle.Replace("3 0 1 2", "-3 0 1 2"));
        Assert.Contains("count -3", n.Message);
    }

    [Fact]
    public void Every_truncation_point_of_a_binary_file_fails_cleanly()
    {
        var full = PlyRoundTripTests.Write(TestMeshes.Tetrahedron(), new PlyWriteOptions { IncludeNormals = true });
        for (int cut = 0; cut < full.Length; cut++)
        {
            var ex = Record.Exception(() => PlyReader.Read(new MemoryStream(full[..cut])));
            Assert.IsType<PlyFormatException>(ex);
        }
    }

    [Fact]
    public void Random_byte_corruption_never_escapes_as_another_exception()
    {
        var full = PlyRoundTripTests.Write(TestMeshes.Sphere(6, 8), new PlyWriteOptions { Format = PlyFormat.Ascii });
        var rng = new Random(7);
        for (int trial = 0; trial < 500; trial++)
        {
            var bytes = (byte[])full.Clone();
            for (int k = 0; k < 3; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            var ex = Record.Exception(() => PlyReader.Read(new MemoryStream(bytes)));
            if (ex is not null) Assert.IsType<PlyFormatException>(ex);
        }
    }
}
