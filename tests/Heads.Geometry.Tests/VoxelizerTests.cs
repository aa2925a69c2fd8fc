using Heads.Core.Geometry;

namespace Heads.Geometry.Tests;

public class VoxelizerTests
{
    [Fact]
    public void Voxelising_meshes_in_sequence_equals_voxelising_each_alone()
    {
        // The original's accumulators carried over from one head to the next.
        var first = TestMeshes.Sphere(40, 60, radius: 2f);
        var second = TestMeshes.Sphere(12, 16, radius: 0.7f, cx: 0.2f);
        var aloneSecond = Voxelizer.Voxelize(second).Data;
        var aloneFirst = Voxelizer.Voxelize(first).Data;
        var seqFirst = Voxelizer.Voxelize(first).Data;
        var seqSecond = Voxelizer.Voxelize(second).Data;
        Assert.Equal(aloneFirst, seqFirst);
        Assert.Equal(aloneSecond, seqSecond);
        Assert.NotEqual(aloneFirst, aloneSecond);
        // Into a reused destination as well.
        var buffer = new byte[32 * 32 * 32];
        Voxelizer.Voxelize(first.Positions, first.Colors, first.Triangles, buffer);
        Voxelizer.Voxelize(second.Positions, second.Colors, second.Triangles, buffer);
        Assert.Equal(aloneSecond, buffer);
    }

    [Fact]
    public void Empty_voxels_are_zero_and_black_surfaces_are_at_least_one()
    {
        var sphere = TestMeshes.Sphere(30, 40);
        Array.Clear(sphere.Colors);
        var volume = Voxelizer.Voxelize(sphere);
        Assert.True(volume.OccupiedCount() > 500);
        Assert.All(volume.Data, v => Assert.True(v is 0 or 1));
        // Centre of the sphere is empty.
        Assert.Equal(0, volume[16, 16, 16]);
    }

    [Fact]
    public void Luminance_is_averaged_per_voxel_with_601_weights()
    {
        // One big flat triangle of a single colour: every occupied voxel carries that colour's luma.
        var mesh = new HeadMesh([-1, -1, 0, 1, -1, 0, 0, 1, 0], [200, 100, 50, 200, 100, 50, 200, 100, 50], [0, 1, 2]);
        var volume = Voxelizer.Voxelize(mesh);
        byte expected = (byte)MathF.Round(0.299f * 200 + 0.587f * 100 + 0.114f * 50);
        Assert.All(volume.Data, v => Assert.True(v == 0 || v == expected, $"value {v}"));
        // The triangle lies in z = 0, which maps to slice 16.
        for (int i = 0; i < volume.Data.Length; i++)
            if (volume.Data[i] != 0) Assert.Equal(16, i / 1024);
    }

    [Fact]
    public void Normalisation_divides_by_the_longest_absolute_axis()
    {
        // Points at ±lax land in the first and last voxel; index is z·1024 + y·32 + x.
        var mesh = new HeadMesh([-4, 0, 0, 4, 0, 0, 0, 2, 0, 0, 0, -1], [255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255], []);
        var volume = Voxelizer.Voxelize(mesh);
        Assert.Equal(4, volume.OccupiedCount());
        Assert.Equal(255, volume.Data[16 * 1024 + 16 * 32 + 0]);
        Assert.Equal(255, volume.Data[16 * 1024 + 16 * 32 + 31]);
        Assert.Equal(255, volume.Data[16 * 1024 + 24 * 32 + 16]);
        Assert.Equal(255, volume.Data[12 * 1024 + 16 * 32 + 16]);
        Assert.Equal(255, volume[16, 24, 16]);
    }

    [Fact]
    public void Surface_sampling_closes_holes_that_vertex_sampling_leaves()
    {
        // A coarse octahedron: 6 vertices, large faces.
        var oct = new HeadMesh(
            [1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1, 0, 0, 0, 1, 0, 0, -1],
            Enumerable.Repeat((byte)180, 18).ToArray(),
            [0, 2, 4, 2, 1, 4, 1, 3, 4, 3, 0, 4, 2, 0, 5, 1, 2, 5, 3, 1, 5, 0, 3, 5]);
        var vertexOnly = Voxelizer.Voxelize(oct, new VoxelizerOptions { Sampling = VoxelSampling.VerticesOnly });
        var surface = Voxelizer.Voxelize(oct);
        Assert.Equal(6, vertexOnly.OccupiedCount());
        Assert.True(surface.OccupiedCount() > 1000, $"{surface.OccupiedCount()} voxels");
        // Watertight at voxel level: flood fill from a corner must not reach the centre.
        Assert.False(FloodReaches(surface, (0, 0, 0), (16, 16, 16)));
        Assert.True(FloodReaches(vertexOnly, (0, 0, 0), (16, 16, 16)));
    }

    [Fact]
    public void Volume_size_is_configurable()
    {
        var volume = Voxelizer.Voxelize(TestMeshes.Sphere(20, 20), new VoxelizerOptions { Size = 16 });
        Assert.Equal(16, volume.Size);
        Assert.Equal(4096, volume.Data.Length);
        Assert.True(volume.OccupiedCount() > 100);
    }

    [Fact]
    public void Degenerate_input_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Voxelizer.Voxelize(new HeadMesh([0, 0, 0], [1, 2, 3], [])));
        Assert.Throws<ArgumentException>(() => Voxelizer.Voxelize(new HeadMesh([float.NaN, 0, 0], [1, 2, 3], [])));
        Assert.Equal(0, Voxelizer.Voxelize(new HeadMesh([], [], [])).OccupiedCount());
    }

    [Fact]
    public void Property_every_vertex_voxel_is_occupied_and_nothing_outside_the_mesh_bounds()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var mesh = TestMeshes.Random(seed, 50, 40);
            var volume = Voxelizer.Voxelize(mesh);
            float lax = Voxelizer.LongestAbsoluteAxis(mesh.Positions);
            var referenced = new HashSet<int>(mesh.Triangles);
            int minX = 99, maxX = -1;
            foreach (int v in referenced)
            {
                int x = Math.Clamp((int)MathF.Floor((mesh.Positions[v * 3] / lax + 1) * 16), 0, 31);
                int y = Math.Clamp((int)MathF.Floor((mesh.Positions[v * 3 + 1] / lax + 1) * 16), 0, 31);
                int z = Math.Clamp((int)MathF.Floor((mesh.Positions[v * 3 + 2] / lax + 1) * 16), 0, 31);
                Assert.True(volume[x, y, z] >= 1);
                minX = Math.Min(minX, x);
                maxX = Math.Max(maxX, x);
            }
            for (int i = 0; i < volume.Data.Length; i++)
                if (volume.Data[i] != 0) Assert.InRange(i % 32, minX - 1, maxX + 1);
        }
    }

    private static bool FloodReaches(VoxelVolume volume, (int X, int Y, int Z) from, (int X, int Y, int Z) to)
    {
        int s = volume.Size;
        var seen = new bool[s * s * s];
        var queue = new Queue<(int, int, int)>();
        queue.Enqueue(from);
        seen[volume.Index(from.X, from.Y, from.Z)] = true;
        while (queue.Count > 0)
        {
            var (x, y, z) = queue.Dequeue();
            if ((x, y, z) == to) return true;
            foreach (var (dx, dy, dz) in new[] { (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1) })
            {
                int nx = x + dx, ny = y + dy, nz = z + dz;
                if ((uint)nx >= s || (uint)ny >= s || (uint)nz >= s) continue;
                int i = volume.Index(nx, ny, nz);
                if (seen[i] || volume.Data[i] != 0) continue;
                seen[i] = true;
                queue.Enqueue((nx, ny, nz));
            }
        }
        return false;
    }
}

public class VoxelVolumeTests
{
    [Fact]
    public void Indexer_uses_the_facenet_layout()
    {
        var v = new VoxelVolume();
        v[3, 5, 7] = 9;
        Assert.Equal(9, v.Data[7 * 1024 + 5 * 32 + 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => v[32, 0, 0]);
        Assert.Throws<ArgumentException>(() => new VoxelVolume(new byte[100], 32));
    }

    [Fact]
    public void Iou_and_mae_match_a_plain_reference_on_random_volumes()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            int length = trial == 0 ? 32768 : rng.Next(0, 5000);
            var a = new byte[length];
            var b = new byte[length];
            rng.NextBytes(a);
            rng.NextBytes(b);
            for (int i = 0; i < length; i++)
            {
                if (rng.Next(3) == 0) a[i] = 0;
                if (rng.Next(3) == 0) b[i] = 0;
            }
            byte threshold = (byte)rng.Next(1, 256);
            long inter = 0, union = 0, sum = 0, occ = 0;
            for (int i = 0; i < length; i++)
            {
                bool oa = a[i] >= threshold, ob = b[i] >= threshold;
                if (oa && ob) inter++;
                if (oa || ob) union++;
                if (a[i] >= threshold) occ++;
                sum += Math.Abs(a[i] - b[i]);
            }
            Assert.Equal(union == 0 ? 1.0 : (double)inter / union, VoxelVolume.OccupancyIoU(a, b, threshold), 12);
            Assert.Equal(length == 0 ? 0 : (double)sum / length, VoxelVolume.MeanAbsoluteError(a, b), 12);
            Assert.Equal(occ, VoxelVolume.CountOccupied(a, threshold));
        }
    }

    [Fact]
    public void Iou_edge_cases()
    {
        var empty = new byte[32768];
        var full = Enumerable.Repeat((byte)255, 32768).ToArray();
        Assert.Equal(1.0, VoxelVolume.OccupancyIoU(empty, empty));
        Assert.Equal(0.0, VoxelVolume.OccupancyIoU(empty, full));
        Assert.Equal(1.0, VoxelVolume.OccupancyIoU(full, full));
        Assert.Equal(255.0, VoxelVolume.MeanAbsoluteError(empty, full));
        Assert.Equal(255.0, VoxelVolume.OccupiedMeanAbsoluteError(empty, full));
        Assert.Throws<ArgumentException>(() => VoxelVolume.OccupancyIoU(empty, new byte[5]));
    }
}
