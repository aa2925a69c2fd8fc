using System.Text.Json;
using System.Text.RegularExpressions;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Exchange;

namespace Heads.Geometry.Tests;

/// <summary>
/// GLB and OBJ files this code writes (a marching-cubes head surface and a coloured point cloud), read back by two
/// independent readers from Debian: Open3D (python3-open3d) and assimp (assimp-utils). Each reader is skipped, with the
/// reason, only where it is not installed; the test prerequisites install both.
/// </summary>
public sealed partial class ExchangeFormatTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "heads-exchange-" + Guid.NewGuid().ToString("N"));
    private readonly HeadMesh _mesh;
    private readonly float[] _points;
    private readonly byte[] _colors;

    public ExchangeFormatTests()
    {
        Directory.CreateDirectory(_folder);
        var volume = MarchingCubesTests.SolidBall(32, 9f);
        volume[0, 0, 0] = 77;
        _mesh = MarchingCubes.Extract(volume);
        (_points, _colors) = VolumeExport.OccupiedPoints(volume);
        using (var glb = File.Create(Path.Combine(_folder, "surface.glb"))) GlbWriter.WriteMesh(glb, _mesh, "heads test");
        using (var obj = File.Create(Path.Combine(_folder, "surface.obj"))) ObjWriter.Write(obj, _mesh, "heads test\nsecond line");
        using (var cloud = File.Create(Path.Combine(_folder, "cloud.glb"))) GlbWriter.WritePoints(cloud, _points, _colors, "heads test");
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("surface.glb")]
    [InlineData("surface.obj")]
    public void Open3d_reads_the_surface_with_its_vertices_triangles_colours_and_bounds(string file)
    {
        SkipWithout(Python, "python3-open3d (apt-get install -y python3-open3d)", "-c \"import open3d\"");
        var script = $$"""
            import json, numpy as np, open3d as o3d
            m = o3d.io.read_triangle_mesh("{{Path.Combine(_folder, file)}}")
            v = np.asarray(m.vertices); c = np.asarray(m.vertex_colors)
            print(json.dumps({"v": len(v), "t": len(m.triangles), "min": v.min(0).tolist(), "max": v.max(0).tolist(),
                              "colors": len(c), "gray": bool(np.allclose(c[:, 0], c[:, 2], atol=1e-3)) if len(c) else False,
                              "watertight": bool(m.is_watertight())}))
            """;
        var check = Path.Combine(_folder, file + ".py");
        File.WriteAllText(check, script);
        var result = JsonDocument.Parse(Run(Python, $"\"{check}\"").Split('\n')[^1]).RootElement;
        Assert.Equal(_mesh.TriangleCount, result.GetProperty("t").GetInt32());
        // OBJ readers may split or merge vertices; the triangles and bounds must hold either way.
        if (file.EndsWith(".glb", StringComparison.Ordinal)) Assert.Equal(_mesh.VertexCount, result.GetProperty("v").GetInt32());
        Assert.Equal(result.GetProperty("v").GetInt32(), result.GetProperty("colors").GetInt32());
        Assert.True(result.GetProperty("gray").GetBoolean());
        Assert.True(result.GetProperty("watertight").GetBoolean(), $"open3d says {file} is not watertight");
        AssertBounds(_mesh.Positions, result.GetProperty("min"), result.GetProperty("max"));
    }

    [Theory]
    [InlineData("surface.glb", "triangles")]
    [InlineData("surface.obj", "triangles")]
    [InlineData("cloud.glb", "points")]
    public void Assimp_reads_the_file_with_its_vertex_and_face_counts(string file, string primitive)
    {
        SkipWithout("/usr/bin/assimp", "assimp-utils (apt-get install -y assimp-utils)", "version");
        var info = Run("/usr/bin/assimp", $"info \"{Path.Combine(_folder, file)}\"");
        int Number(string label) => int.Parse(Regex.Match(info, label + @":\s+(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(1, Number("Meshes"));
        bool points = primitive == "points";
        Assert.Equal(points ? _points.Length / 3 : _mesh.TriangleCount, Number("Faces"));
        if (!file.EndsWith(".obj", StringComparison.Ordinal))
            Assert.Equal(points ? _points.Length / 3 : _mesh.VertexCount, Number("Vertices"));
        Assert.Matches(PrimitivesLine(), info);
        Assert.Contains(primitive, PrimitivesLine().Match(info).Value, StringComparison.Ordinal);
    }

    [Fact]
    public void The_glb_container_is_well_formed_with_aligned_chunks()
    {
        var bytes = File.ReadAllBytes(Path.Combine(_folder, "surface.glb"));
        Assert.Equal("glTF"u8.ToArray(), bytes[..4]);
        Assert.Equal(2, BitConverter.ToInt32(bytes, 4));
        Assert.Equal(bytes.Length, BitConverter.ToInt32(bytes, 8));
        int jsonLength = BitConverter.ToInt32(bytes, 12);
        Assert.Equal(0, jsonLength % 4);
        Assert.Equal("JSON"u8.ToArray(), bytes[16..20]);
        var json = JsonDocument.Parse(bytes.AsMemory(20, jsonLength)).RootElement;
        var position = json.GetProperty("accessors")[0];
        Assert.Equal(_mesh.VertexCount, position.GetProperty("count").GetInt32());
        Assert.Equal(3, position.GetProperty("min").GetArrayLength());
        int binAt = 20 + jsonLength;
        Assert.Equal(bytes.Length - binAt - 8, BitConverter.ToInt32(bytes, binAt));
        Assert.Equal("BIN\0"u8.ToArray(), bytes[(binAt + 4)..(binAt + 8)]);
    }

    [Fact]
    public void An_empty_cloud_is_refused_since_gltf_has_no_empty_accessors() =>
        Assert.Throws<ArgumentException>(() => GlbWriter.WritePoints(new MemoryStream(), [], [], "empty"));

    private static void AssertBounds(float[] positions, JsonElement min, JsonElement max)
    {
        for (int axis = 0; axis < 3; axis++)
        {
            float lo = float.MaxValue, hi = float.MinValue;
            for (int i = axis; i < positions.Length; i += 3) { lo = Math.Min(lo, positions[i]); hi = Math.Max(hi, positions[i]); }
            Assert.Equal(lo, (float)min[axis].GetDouble(), 4);
            Assert.Equal(hi, (float)max[axis].GetDouble(), 4);
        }
    }

    private static void SkipWithout(string program, string what, string probe)
    {
        if (!File.Exists(program)) Assert.Skip($"{program} not found: install {what}");
        try
        {
            Run(program, probe);
        }
        catch (InvalidOperationException e)
        {
            Assert.Skip($"{what} is not usable: {e.Message}");
        }
    }

    private static string Run(string program, string arguments)
    {
        var (code, output, error) = ExternalProgram.Run(program, arguments, TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"{program} exited {code}: {error}{output}");
        return output.Trim();
    }

    [GeneratedRegex(@"Primitive Types:[^\n]*")]
    private static partial Regex PrimitivesLine();
}
