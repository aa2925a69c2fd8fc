using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;

namespace Heads.Geometry.Tests;

public class MarchingCubesTests
{
    [Fact]
    public void Tables_cover_the_standard_case_counts()
    {
        // Standard marching cubes: configurations 0 and 255 have no triangles, one corner gives one triangle,
        // and complementary configurations cross the same edges.
        Assert.Equal(0, MarchingCubesTables.TriangleStart[1] - MarchingCubesTables.TriangleStart[0]);
        Assert.Equal(0, MarchingCubesTables.TriangleStart[256] - MarchingCubesTables.TriangleStart[255]);
        for (int c = 0; c < 8; c++)
        {
            int config = 1 << c;
            Assert.Equal(3, MarchingCubesTables.TriangleStart[config + 1] - MarchingCubesTables.TriangleStart[config]);
            Assert.Equal(3, System.Numerics.BitOperations.PopCount(MarchingCubesTables.EdgeMasks[config]));
        }
        for (int config = 0; config < 256; config++)
        {
            Assert.Equal(MarchingCubesTables.EdgeMasks[config], MarchingCubesTables.EdgeMasks[255 - config]);
            int triangles = (MarchingCubesTables.TriangleStart[config + 1] - MarchingCubesTables.TriangleStart[config]) / 3;
            Assert.InRange(triangles, 0, 12);
            for (int k = MarchingCubesTables.TriangleStart[config]; k < MarchingCubesTables.TriangleStart[config + 1]; k++)
                Assert.True((MarchingCubesTables.EdgeMasks[config] & (1 << MarchingCubesTables.TriangleEdges[k])) != 0);
        }
        // Two faces' worth of corners (a half cube) is a single quad: two triangles.
        Assert.Equal(6, MarchingCubesTables.TriangleStart[0x0F + 1] - MarchingCubesTables.TriangleStart[0x0F]);
    }

    [Fact]
    public void Every_random_volume_gives_a_closed_consistently_oriented_welded_surface()
    {
        var rng = new Random(9);
        for (int trial = 0; trial < 40; trial++)
        {
            int size = rng.Next(2, 9);
            var data = new byte[size * size * size];
            for (int i = 0; i < data.Length; i++) data[i] = rng.Next(2) == 0 ? (byte)0 : (byte)rng.Next(1, 256);
            var field = trial % 2 == 0 ? VolumeSurfaceField.Occupancy : VolumeSurfaceField.Intensity;
            var mesh = MarchingCubes.Extract(data, size, new MarchingCubesOptions { Field = field, Threshold = (byte)rng.Next(1, 200) });
            AssertClosedManifoldEdges(mesh);
        }
        // Small binary volumes hit every pairing of ambiguous faces between neighbouring cubes.
        for (int trial = 0; trial < 5000; trial++)
        {
            var data = new byte[27];
            for (int i = 0; i < data.Length; i++) data[i] = rng.Next(2) == 0 ? (byte)0 : (byte)255;
            AssertClosedManifoldEdges(MarchingCubes.Extract(data, 3));
        }
    }

    [Fact]
    public void A_voxelised_sphere_becomes_a_smooth_outward_surface_inside_the_unit_cube()
    {
        var volume = SolidBall(32, 10f);
        var mesh = MarchingCubes.Extract(volume);
        AssertClosedManifoldEdges(mesh);
        Assert.True(mesh.TriangleCount > 1000);
        // Normals point away from the centre and all points are near radius 10 voxels (0.625 in normalised units).
        int outward = 0;
        for (int v = 0; v < mesh.VertexCount; v++)
        {
            float x = mesh.Positions[v * 3], y = mesh.Positions[v * 3 + 1], z = mesh.Positions[v * 3 + 2];
            if (x * mesh.Normals[v * 3] + y * mesh.Normals[v * 3 + 1] + z * mesh.Normals[v * 3 + 2] > 0) outward++;
            Assert.InRange(MathF.Sqrt(x * x + y * y + z * z), 0.55f, 0.7f);
            Assert.True(mesh.Colors[v * 3] >= 1);
        }
        Assert.Equal(mesh.VertexCount, outward);
        // Signed volume (divergence theorem) is positive and close to the ball's.
        Assert.InRange(SignedVolume(mesh), 0.8 * 4 / 3.0 * Math.PI * Math.Pow(0.625, 3), 1.2 * 4 / 3.0 * Math.PI * Math.Pow(0.625, 3));
    }

    [Fact]
    public void Vertices_are_shared_between_neighbouring_cubes()
    {
        var mesh = MarchingCubes.Extract(SolidBall(16, 5f));
        // A closed genus-0 triangle mesh with shared vertices satisfies V − E + F = 2.
        var edges = new HashSet<(int, int)>();
        for (int t = 0; t < mesh.Triangles.Length; t += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = mesh.Triangles[t + k], b = mesh.Triangles[t + (k + 1) % 3];
                edges.Add((Math.Min(a, b), Math.Max(a, b)));
            }
        Assert.Equal(2, mesh.VertexCount - edges.Count + mesh.TriangleCount);
    }

    [Fact]
    public void Threshold_selects_the_inside()
    {
        var data = new byte[4 * 4 * 4];
        data[(1 * 4 + 1) * 4 + 1] = 50;
        data[(2 * 4 + 2) * 4 + 2] = 200;
        var low = MarchingCubes.Extract(data, 4, new MarchingCubesOptions { Threshold = 10 });
        var high = MarchingCubes.Extract(data, 4, new MarchingCubesOptions { Threshold = 100 });
        Assert.Equal(2 * 8, low.TriangleCount); // two isolated voxels: an octahedron each
        Assert.Equal(8, high.TriangleCount);
        Assert.All(high.Colors, c => Assert.Equal(200, c));
        Assert.Throws<ArgumentOutOfRangeException>(() => MarchingCubes.Extract(data, 4, new MarchingCubesOptions { Threshold = 0 }));
    }

    [Fact]
    public void Point_cloud_export_writes_occupied_voxel_centres_in_gray()
    {
        var volume = new VoxelVolume(4);
        volume[0, 0, 0] = 10;
        volume[3, 2, 1] = 250;
        using var ms = new MemoryStream();
        VolumeExport.WritePointCloud(ms, volume);
        ms.Position = 0;
        var read = PlyReader.Read(ms);
        Assert.Equal(2, read.VertexCount);
        Assert.Empty(read.Triangles);
        Assert.Equal(new float[] { -0.75f, -0.75f, -0.75f, 0.75f, 0.25f, -0.25f }, read.Positions);
        Assert.Equal(new byte[] { 10, 10, 10, 250, 250, 250 }, read.Colors);
    }

    internal static VoxelVolume SolidBall(int size, float radius)
    {
        var volume = new VoxelVolume(size);
        float c = (size - 1) / 2f;
        for (int z = 0; z < size; z++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            float dx = x - c, dy = y - c, dz = z - c;
            if (dx * dx + dy * dy + dz * dz <= radius * radius) volume[x, y, z] = (byte)(100 + x);
        }
        return volume;
    }

    private static double SignedVolume(HeadMesh mesh)
    {
        double sum = 0;
        var p = mesh.Positions;
        for (int t = 0; t < mesh.Triangles.Length; t += 3)
        {
            int a = mesh.Triangles[t] * 3, b = mesh.Triangles[t + 1] * 3, c = mesh.Triangles[t + 2] * 3;
            sum += p[a] * (p[b + 1] * p[c + 2] - p[b + 2] * p[c + 1])
                 - p[a + 1] * (p[b] * p[c + 2] - p[b + 2] * p[c])
                 + p[a + 2] * (p[b] * p[c + 1] - p[b + 1] * p[c]);
        }
        return sum / 6;
    }

    /// <summary>Every directed edge appears once and its reverse once: closed, oriented, welded.</summary>
    internal static void AssertClosedManifoldEdges(HeadMesh mesh)
    {
        var directed = new HashSet<(int, int)>();
        var t = mesh.Triangles;
        for (int f = 0; f < t.Length; f += 3)
            for (int k = 0; k < 3; k++)
            {
                var e = (t[f + k], t[f + (k + 1) % 3]);
                Assert.NotEqual(e.Item1, e.Item2);
                Assert.True(directed.Add(e), $"directed edge {e} used twice");
            }
        foreach (var (a, b) in directed) Assert.Contains((b, a), directed);
    }
}
