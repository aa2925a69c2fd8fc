using Heads.Core.FaceTo3D;
using Heads.Core.Geometry;

namespace Heads.Geometry.Tests;

public class IcosphereTests
{
    [Fact]
    public void Subdivision_five_has_10242_unit_vertices()
    {
        var sphere = Icosphere.HeadsNet;
        Assert.Equal(10_242, sphere.VertexCount);
        Assert.Equal(20 * 1024 * 3, sphere.Triangles.Length);
        var p = sphere.Positions;
        for (int i = 0; i < p.Length; i += 3)
            Assert.Equal(1.0, Math.Sqrt(p[i] * p[i] + p[i + 1] * p[i + 1] + p[i + 2] * p[i + 2]), 6);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Counts_follow_10_4n_plus_2_and_the_mesh_is_closed_and_outward(int level)
    {
        var s = new Icosphere(level);
        Assert.Equal(Icosphere.VertexCountFor(level), s.VertexCount);
        var edges = new Dictionary<(int, int), int>();
        var p = s.Positions;
        var t = s.Triangles;
        for (int f = 0; f < t.Length; f += 3)
        {
            for (int k = 0; k < 3; k++)
            {
                var key = (t[f + k], t[f + (k + 1) % 3]);
                edges[key] = edges.GetValueOrDefault(key) + 1;
            }
            int a = t[f] * 3, b = t[f + 1] * 3, c = t[f + 2] * 3;
            float ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            float vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
            float nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
            Assert.True(nx * p[a] + ny * p[a + 1] + nz * p[a + 2] > 0, $"triangle {f / 3} faces inward");
        }
        // Each directed edge once and its reverse once: a closed, consistently oriented surface.
        foreach (var ((u, v), count) in edges)
        {
            Assert.Equal(1, count);
            Assert.True(edges.ContainsKey((v, u)));
        }
    }

    [Fact]
    public void Vertex_order_is_deterministic()
    {
        var a = new Icosphere(5);
        Assert.Equal(a.Positions, Icosphere.HeadsNet.Positions);
        Assert.Equal(a.Triangles, Icosphere.HeadsNet.Triangles);
    }

    [Fact]
    public void Index_nearest_equals_brute_force_for_random_queries()
    {
        var index = IcosphereIndex.HeadsNet;
        var p = index.Sphere.Positions;
        var rng = new Random(11);
        int wellConditioned = 0, disagreements = 0;
        for (int q = 0; q < 6000; q++)
        {
            // On the sphere, inside, outside, and tiny or huge magnitudes.
            double scale = (q % 4) switch { 0 => 1, 1 => 0.1 + 0.9 * rng.NextDouble(), 2 => 1 + 5 * rng.NextDouble(), _ => Math.Pow(10, rng.Next(-6, 7)) };
            double x = Gaussian(rng), y = Gaussian(rng), z = Gaussian(rng);
            double len = Math.Sqrt(x * x + y * y + z * z);
            float qx = (float)(x / len * scale), qy = (float)(y / len * scale), qz = (float)(z / len * scale);
            int fast = index.Nearest(qx, qy, qz);
            int exact = NearestExact(p, qx, qy, qz);
            // Never farther than the true nearest beyond float noise.
            Assert.True(Distance(p, fast, qx, qy, qz) - Distance(p, exact, qx, qy, qz) <= 1e-6 * Math.Max(1, scale), $"query {q}: index {fast}, exact {exact}");
            if (q % 4 == 3) continue;
            // Where float distances are meaningful, the original float brute force gives the same vertex.
            wellConditioned++;
            int original = IcosphereIndex.NearestBruteForce(p, qx, qy, qz);
            if (fast != original)
            {
                disagreements++;
                Assert.True(Math.Abs(Distance(p, fast, qx, qy, qz) - Distance(p, original, qx, qy, qz)) < 1e-6, $"query {q}: index {fast} at {Distance(p, fast, qx, qy, qz)}, brute force {original} at {Distance(p, original, qx, qy, qz)}, exact {exact} at {Distance(p, exact, qx, qy, qz)}");
            }
        }
        Assert.True(disagreements * 1000 < wellConditioned, $"{disagreements} float-tie disagreements in {wellConditioned} queries");
    }

    private static int NearestExact(float[] p, double x, double y, double z)
    {
        int best = 0;
        double bestD = double.MaxValue;
        for (int v = 0; v < p.Length / 3; v++)
        {
            double d = Distance(p, v, x, y, z);
            if (d < bestD) { bestD = d; best = v; }
        }
        return best;
    }

    [Fact]
    public void Index_returns_each_vertex_for_its_own_position_and_handles_axes_and_edges()
    {
        var index = IcosphereIndex.HeadsNet;
        var p = index.Sphere.Positions;
        for (int v = 0; v < index.Sphere.VertexCount; v++)
            Assert.Equal(v, index.Nearest(p[v * 3], p[v * 3 + 1], p[v * 3 + 2]));
        foreach (var (x, y, z) in new[] { (1f, 0f, 0f), (0f, -1f, 0f), (0f, 0f, 1f), (1f, 1f, 0f), (1f, 1f, 1f), (-1f, -1f, -1f), (1f, -1f, 1e-9f) })
            Assert.Equal(Distance(p, IcosphereIndex.NearestBruteForce(p, x, y, z), x, y, z), Distance(p, index.Nearest(x, y, z), x, y, z), 6);
        Assert.Equal(0, index.Nearest(0, 0, 0));
        Assert.Throws<ArgumentException>(() => index.Nearest(float.NaN, 0, 0));
        Assert.Throws<ArgumentException>(() => index.Nearest(float.PositiveInfinity, 0, 0));
        Assert.InRange(index.MeanCandidates, 1, 40);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 4)]
    [InlineData(4, 50)]
    public void Index_is_exact_for_other_spheres_and_resolutions(int level, int resolution)
    {
        var sphere = new Icosphere(level);
        var index = new IcosphereIndex(sphere, resolution);
        var rng = new Random(level);
        for (int q = 0; q < 3000; q++)
        {
            float x = (float)Gaussian(rng), y = (float)Gaussian(rng), z = (float)Gaussian(rng);
            Assert.Equal(
                Distance(sphere.Positions, IcosphereIndex.NearestBruteForce(sphere.Positions, x, y, z), x, y, z),
                Distance(sphere.Positions, index.Nearest(x, y, z), x, y, z), 6);
        }
    }

    internal static double Gaussian(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static double Distance(float[] p, int v, double x, double y, double z)
    {
        double dx = p[v * 3] - x, dy = p[v * 3 + 1] - y, dz = p[v * 3 + 2] - z;
        return Math.Sqrt(dx * dx + dy * dy + dz * dz);
    }
}

public class HeadsNetEncoderTests
{
    [Fact]
    public void Rows_hold_seed_index_normalised_position_and_unit_colour()
    {
        var mesh = TestMeshes.Sphere(10, 12, radius: 3f, cx: 5, cy: -2, cz: 1);
        var encoder = new HeadsNetEncoder();
        var rows = new float[mesh.VertexCount * 8];
        encoder.Encode(mesh, 0.25f, rows);
        for (int v = 0; v < mesh.VertexCount; v++)
        {
            var r = rows.AsSpan(v * 8, 8);
            Assert.Equal(0.25f, r[0]);
            Assert.InRange(r[1], 0f, 1f - 1f / 10242);
            int sphereIndex = (int)MathF.Round(r[1] * 10242);
            Assert.Equal(r[1], sphereIndex / 10242f);
            // The sphere is its own bounding sphere: normalised positions are the unit directions.
            double len = Math.Sqrt(r[2] * r[2] + r[3] * r[3] + r[4] * r[4]);
            Assert.Equal(1.0, len, 4);
            Assert.Equal(mesh.Colors[v * 3] / 255f, r[5]);
            Assert.Equal(mesh.Colors[v * 3 + 2] / 255f, r[7]);
            // Tracing a surface point on the sphere along its normal stays put: the nearest sphere vertex is the nearest to it.
            var p = Icosphere.HeadsNet.Positions;
            Assert.Equal(IcosphereIndex.NearestBruteForce(p, r[2], r[3], r[4]), sphereIndex);
        }
    }

    [Fact]
    public void Ray_trace_hits_the_unit_sphere_along_the_normal()
    {
        var rng = new Random(5);
        for (int i = 0; i < 1000; i++)
        {
            float px = (float)(rng.NextDouble() - 0.5), py = (float)(rng.NextDouble() - 0.5), pz = (float)(rng.NextDouble() - 0.5);
            float nx = (float)IcosphereTests.Gaussian(rng), ny = (float)IcosphereTests.Gaussian(rng), nz = (float)IcosphereTests.Gaussian(rng);
            HeadsNetEncoder.TraceToSphere(px, py, pz, nx, ny, nz, out float sx, out float sy, out float sz);
            Assert.Equal(1.0, Math.Sqrt(sx * sx + sy * sy + sz * sz), 5);
            // s − p is parallel to n and points the same way.
            float dx = sx - px, dy = sy - py, dz = sz - pz;
            float cross = MathF.Abs(dy * nz - dz * ny) + MathF.Abs(dz * nx - dx * nz) + MathF.Abs(dx * ny - dy * nx);
            Assert.True(cross < 1e-4f * (1 + MathF.Abs(nx) + MathF.Abs(ny) + MathF.Abs(nz)));
            Assert.True(dx * nx + dy * ny + dz * nz >= 0);
        }
        HeadsNetEncoder.TraceToSphere(0.5f, 0, 0, 0, 0, 0, out float zx, out _, out _);
        Assert.Equal(0.5f, zx);
    }

    [Fact]
    public void Streaming_blocks_and_enumeration_equal_the_span_encoding()
    {
        var mesh = TestMeshes.Sphere(30, 40, radius: 0.3f);
        var encoder = new HeadsNetEncoder();
        var all = new float[mesh.VertexCount * 8];
        encoder.Encode(mesh, 0.5f, all);
        var streamed = new List<float>();
        int blocks = 0;
        encoder.Encode(mesh, 0.5f, rows => { streamed.AddRange(rows.ToArray()); blocks++; }, rowsPerBlock: 100);
        Assert.Equal(all, streamed);
        Assert.Equal((mesh.VertexCount + 99) / 100, blocks);
        var enumerated = encoder.Rows(mesh, 0.5f).ToList();
        Assert.Equal(mesh.VertexCount, enumerated.Count);
        var one = new float[8];
        enumerated[7].CopyTo(one);
        Assert.Equal(all.AsSpan(56, 8).ToArray(), one);
    }

    [Fact]
    public void Several_vertices_on_one_sphere_index_all_become_rows()
    {
        // A dense small cap: many vertices share sphere vertices, none dropped.
        var mesh = TestMeshes.Sphere(200, 200);
        var rows = new float[mesh.VertexCount * 8];
        new HeadsNetEncoder().Encode(mesh, 0f, rows);
        var indices = new HashSet<float>();
        for (int v = 0; v < mesh.VertexCount; v++) indices.Add(rows[v * 8 + 1]);
        Assert.True(indices.Count < mesh.VertexCount);
        Assert.Equal(mesh.VertexCount, rows.Length / 8);
    }

    [Fact]
    public void Sampling_inputs_sweep_i_over_n()
    {
        var inputs = HeadsNetSampling.Inputs(0.75f, 4);
        Assert.Equal(new[] { 0.75f, 0f, 0.75f, 0.25f, 0.75f, 0.5f, 0.75f, 0.75f }, inputs);
        Assert.Equal(400_000, HeadsNetSampling.Inputs(0.1f).Length);
    }

    [Fact]
    public void Original_file_pair_round_trips()
    {
        var mesh = TestMeshes.Sphere(8, 9);
        var rows = new float[mesh.VertexCount * 8];
        new HeadsNetEncoder().Encode(mesh, 0.3f, rows);
        var x = new MemoryStream();
        var y = new MemoryStream();
        using (var writer = new HeadsNetFileWriter(x, y)) writer.Write(rows);
        Assert.Equal(mesh.VertexCount * 8, x.Length);
        Assert.Equal(mesh.VertexCount * 24, y.Length);
        x.Position = y.Position = 0;
        var back = HeadsNetFileWriter.ReadBlocks(x, y, rowsPerBlock: 7).SelectMany(b => b).ToArray();
        Assert.Equal(rows, back);
    }
}
