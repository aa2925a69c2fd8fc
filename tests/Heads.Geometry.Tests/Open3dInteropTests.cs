using System.Text.Json;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;

namespace Heads.Geometry.Tests;

/// <summary>
/// Runs Debian's python3-open3d once: it reads the PLY files this code wrote and writes PLY files this code must read.
/// Skipped (with the reason) where /usr/bin/python3 has no open3d.
/// </summary>
public sealed class Open3dSession : IDisposable
{
    public const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys, numpy as np, open3d as o3d
        d = sys.argv[1]
        out = {}
        pc = o3d.io.read_point_cloud(d + "/cloud.ply")
        pts = np.asarray(pc.points)
        out["cloud"] = {"n": len(pts), "min": pts.min(0).tolist(), "max": pts.max(0).tolist(), "colors": len(pc.colors),
                        "gray": bool(np.allclose(np.asarray(pc.colors)[:, 0], np.asarray(pc.colors)[:, 2]))}
        m = o3d.io.read_triangle_mesh(d + "/surface.ply")
        v = np.asarray(m.vertices)
        out["surface"] = {"v": len(v), "t": len(m.triangles), "min": v.min(0).tolist(), "max": v.max(0).tolist(),
                          "watertight": bool(m.is_watertight()), "edge_manifold": bool(m.is_edge_manifold()),
                          "normals": len(m.vertex_normals), "colors": len(m.vertex_colors)}
        sphere = o3d.geometry.TriangleMesh.create_sphere(radius=0.8, resolution=12)
        sphere.compute_vertex_normals()
        sphere.paint_uniform_color([0.2, 0.4, 0.6])
        o3d.io.write_triangle_mesh(d + "/o3d_ascii.ply", sphere, write_ascii=True)
        o3d.io.write_triangle_mesh(d + "/o3d_binary.ply", sphere, write_ascii=False)
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.asarray(sphere.vertices)))
        o3d.io.write_point_cloud(d + "/o3d_cloud.ply", cloud)
        sv = np.asarray(sphere.vertices)
        out["written"] = {"v": len(sv), "t": len(sphere.triangles), "first": sv[0].tolist(),
                          "tri0": np.asarray(sphere.triangles)[0].tolist(), "last": sv[-1].tolist()}
        print(json.dumps(out))
        """;

    public Open3dSession()
    {
        Directory = Path.Combine(Path.GetTempPath(), "heads-open3d-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        if (!File.Exists(Python))
        {
            SkipReason = $"{Python} not found";
            return;
        }
        var probe = Run("-c \"import open3d\"", 60);
        if (probe.ExitCode != 0)
        {
            SkipReason = "python3-open3d is not installed (apt-get install -y python3-open3d): " + probe.Error.Trim();
            return;
        }

        Volume = MarchingCubesTests.SolidBall(32, 9f);
        Volume[0, 0, 0] = 77; // a separate blob at a corner sets the bounds
        using (var cloud = File.Create(Path.Combine(Directory, "cloud.ply"))) VolumeExport.WritePointCloud(cloud, Volume);
        using (var surface = File.Create(Path.Combine(Directory, "surface.ply"))) Surface = VolumeExport.WriteSurface(surface, Volume);
        File.WriteAllText(Path.Combine(Directory, "check.py"), Script);
        var run = Run($"\"{Path.Combine(Directory, "check.py")}\" \"{Directory}\"", 120);
        if (run.ExitCode != 0) throw new InvalidOperationException("open3d script failed: " + run.Error);
        Result = JsonDocument.Parse(run.Output.Trim().Split('\n')[^1]).RootElement;
    }

    public string Directory { get; }
    public string? SkipReason { get; }
    public VoxelVolume? Volume { get; }
    public HeadMesh? Surface { get; }
    public JsonElement Result { get; }

    private static (int ExitCode, string Output, string Error) Run(string arguments, int timeoutSeconds) =>
        ExternalProgram.Run(Python, arguments, TimeSpan.FromSeconds(timeoutSeconds));

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

public class Open3dInteropTests(Open3dSession session) : IClassFixture<Open3dSession>
{
    private void SkipWithoutOpen3d()
    {
        if (session.SkipReason is { } reason) Assert.Skip(reason);
    }

    private static float[] Vec(JsonElement e) => e.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    [Fact]
    public void Open3d_reads_the_voxel_point_cloud_with_matching_count_and_bounds()
    {
        SkipWithoutOpen3d();
        var cloud = session.Result.GetProperty("cloud");
        Assert.Equal(session.Volume!.OccupiedCount(), cloud.GetProperty("n").GetInt32());
        Assert.Equal(cloud.GetProperty("n").GetInt32(), cloud.GetProperty("colors").GetInt32());
        Assert.True(cloud.GetProperty("gray").GetBoolean());
        var (points, _) = VolumeExport.OccupiedPoints(session.Volume);
        AssertBounds(points, Vec(cloud.GetProperty("min")), Vec(cloud.GetProperty("max")));
        Assert.Equal(-1 + 1 / 32f, Vec(cloud.GetProperty("min"))[0], 5);
    }

    [Fact]
    public void Open3d_reads_the_marching_cubes_surface_as_watertight_with_matching_counts_and_bounds()
    {
        SkipWithoutOpen3d();
        var s = session.Result.GetProperty("surface");
        var mesh = session.Surface!;
        Assert.Equal(mesh.VertexCount, s.GetProperty("v").GetInt32());
        Assert.Equal(mesh.TriangleCount, s.GetProperty("t").GetInt32());
        Assert.Equal(mesh.VertexCount, s.GetProperty("normals").GetInt32());
        Assert.Equal(mesh.VertexCount, s.GetProperty("colors").GetInt32());
        Assert.True(s.GetProperty("watertight").GetBoolean(), "open3d says the surface is not watertight");
        Assert.True(s.GetProperty("edge_manifold").GetBoolean());
        AssertBounds(mesh.Positions, Vec(s.GetProperty("min")), Vec(s.GetProperty("max")));
    }

    [Theory]
    [InlineData("o3d_ascii.ply", PlyFormat.Ascii)]
    [InlineData("o3d_binary.ply", PlyFormat.BinaryLittleEndian)]
    public void Meshes_written_by_open3d_are_read(string file, PlyFormat format)
    {
        SkipWithoutOpen3d();
        var w = session.Result.GetProperty("written");
        var mesh = PlyReader.Read(Path.Combine(session.Directory, file));
        Assert.Equal(format, mesh.Format);
        Assert.Equal(w.GetProperty("v").GetInt32(), mesh.VertexCount);
        Assert.Equal(w.GetProperty("t").GetInt32(), mesh.TriangleCount);
        // open3d prints ASCII coordinates with limited digits; binary ones are exact doubles narrowed to float.
        int digits = format == PlyFormat.Ascii ? 5 : 7;
        AssertClose(Vec(w.GetProperty("first")), mesh.Positions.AsSpan(0, 3).ToArray(), digits);
        AssertClose(Vec(w.GetProperty("last")), mesh.Positions.AsSpan(mesh.Positions.Length - 3).ToArray(), digits);
        Assert.Equal(w.GetProperty("tri0").EnumerateArray().Select(e => e.GetInt32()).ToArray(), mesh.Triangles.AsSpan(0, 3).ToArray());
        Assert.NotNull(mesh.Normals);
        Assert.Equal(new byte[] { 51, 102, 153 }, mesh.Colors.AsSpan(0, 3).ToArray());
        var head = mesh.ToHeadMesh();
        Assert.True(Voxelizer.Voxelize(head).OccupiedCount() > 100);
    }

    [Fact]
    public void Point_cloud_written_by_open3d_is_read()
    {
        SkipWithoutOpen3d();
        var w = session.Result.GetProperty("written");
        var cloud = PlyReader.Read(Path.Combine(session.Directory, "o3d_cloud.ply"));
        Assert.Equal(w.GetProperty("v").GetInt32(), cloud.VertexCount);
        Assert.Empty(cloud.Triangles);
        Assert.Equal(Vec(w.GetProperty("first")), cloud.Positions.AsSpan(0, 3).ToArray());
    }

    private static void AssertClose(float[] expected, float[] actual, int digits)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], digits);
    }

    private static void AssertBounds(float[] positions, float[] min, float[] max)
    {
        for (int axis = 0; axis < 3; axis++)
        {
            float lo = float.MaxValue, hi = float.MinValue;
            for (int i = axis; i < positions.Length; i += 3)
            {
                lo = Math.Min(lo, positions[i]);
                hi = Math.Max(hi, positions[i]);
            }
            Assert.Equal(lo, min[axis], 5);
            Assert.Equal(hi, max[axis], 5);
        }
    }
}
