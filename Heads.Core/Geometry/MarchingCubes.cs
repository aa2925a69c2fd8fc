using System.Runtime.CompilerServices;
namespace Heads.Core.Geometry;

/// <summary>Which scalar field the surface is extracted from.</summary>
public enum VolumeSurfaceField
{
    /// <summary>1 where a voxel is at least the threshold, else 0; the surface runs half-way between occupied and empty voxel centres.</summary>
    Occupancy,

    /// <summary>The grayscale values themselves, surface at threshold − 0.5, interpolated along each edge.</summary>
    Intensity,
}

public sealed record MarchingCubesOptions
{
    public static MarchingCubesOptions Default { get; } = new();

    /// <summary>A voxel counts as inside when its value is at least this (1: any non-empty voxel).</summary>
    public byte Threshold { get; init; } = 1;

    public VolumeSurfaceField Field { get; init; } = VolumeSurfaceField.Occupancy;
}

/// <summary>
/// Marching cubes over a <see cref="VoxelVolume"/> on the voxel centres, padded with one empty voxel on every side so
/// the surface always closes. Vertices sit on grid edges and are shared between the cubes that meet there (welded),
/// positions are in the voxeliser's normalised space (voxel i's centre at (i + 0.5) / size · 2 − 1), and each vertex is
/// coloured gray with the inside voxel's value.
/// </summary>
public static class MarchingCubes
{
    public static HeadMesh Extract(VoxelVolume volume, MarchingCubesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(volume);
        return Extract(volume.Data, volume.Size, options);
    }

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static HeadMesh Extract(ReadOnlySpan<byte> volume, int size, MarchingCubesOptions? options = null)
    {
        options ??= MarchingCubesOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (volume.Length != size * size * size) throw new ArgumentException($"A {size}³ volume needs {size * size * size} bytes.", nameof(volume));
        if (options.Threshold == 0) throw new ArgumentOutOfRangeException(nameof(options), "Threshold 0 makes every voxel inside, the padding too; use at least 1.");

        int p = size + 2; // padded samples per axis
        var edgeVertex = new int[p * p * p * 3];
        Array.Fill(edgeVertex, -1);
        var positions = new List<float>(4096);
        var colors = new List<byte>(4096);
        var triangles = new List<int>(8192);
        byte threshold = options.Threshold;
        bool occupancy = options.Field == VolumeSurfaceField.Occupancy;
        float iso = occupancy ? 0.5f : threshold - 0.5f;
        float step = 2f / size;
        var edgeCorners = MarchingCubesTables.EdgeCorners;
        var edgeAxis = MarchingCubesTables.EdgeAxis;
        var masks = MarchingCubesTables.EdgeMasks;
        var triStart = MarchingCubesTables.TriangleStart;
        var triEdges = MarchingCubesTables.TriangleEdges;
        Span<byte> values = stackalloc byte[8];
        Span<int> cellEdgeVertex = stackalloc int[12];

        // Cells span padded samples s..s+1 per axis, s from -1 to size - 1 in voxel coordinates.
        for (int z = -1; z < size; z++)
        for (int y = -1; y < size; y++)
        for (int x = -1; x < size; x++)
        {
            int config = 0;
            for (int c = 0; c < 8; c++)
            {
                byte v = Sample(volume, size, x + (c & 1), y + ((c >> 1) & 1), z + ((c >> 2) & 1));
                values[c] = v;
                if (v >= threshold) config |= 1 << c;
            }
            if (config == 0 || config == 255) continue;
            ushort mask = masks[config];
            for (int e = 0; e < 12; e++)
            {
                if ((mask & (1 << e)) == 0) continue;
                int c0 = edgeCorners[e, 0], c1 = edgeCorners[e, 1];
                int sx = x + (c0 & 1), sy = y + ((c0 >> 1) & 1), sz = z + ((c0 >> 2) & 1);
                int key = (((sz + 1) * p + (sy + 1)) * p + (sx + 1)) * 3 + edgeAxis[e];
                int id = edgeVertex[key];
                if (id < 0)
                {
                    float f0 = occupancy ? (values[c0] >= threshold ? 1 : 0) : values[c0];
                    float f1 = occupancy ? (values[c1] >= threshold ? 1 : 0) : values[c1];
                    float t = f1 == f0 ? 0.5f : Math.Clamp((iso - f0) / (f1 - f0), 0f, 1f);
                    float px = sx, py = sy, pz = sz;
                    switch (edgeAxis[e])
                    {
                        case 0: px += t; break;
                        case 1: py += t; break;
                        default: pz += t; break;
                    }
                    id = positions.Count / 3;
                    positions.Add((px + 0.5f) * step - 1f);
                    positions.Add((py + 0.5f) * step - 1f);
                    positions.Add((pz + 0.5f) * step - 1f);
                    byte gray = Math.Max(values[c0], values[c1]);
                    colors.Add(gray);
                    colors.Add(gray);
                    colors.Add(gray);
                    edgeVertex[key] = id;
                }
                cellEdgeVertex[e] = id;
            }
            for (int k = triStart[config]; k < triStart[config + 1]; k++) triangles.Add(cellEdgeVertex[triEdges[k]]);
        }
        return new HeadMesh(positions.ToArray(), colors.ToArray(), triangles.ToArray());
    }

    private static byte Sample(ReadOnlySpan<byte> volume, int size, int x, int y, int z) =>
        (uint)x < (uint)size && (uint)y < (uint)size && (uint)z < (uint)size ? volume[(z * size + y) * size + x] : (byte)0;
}
