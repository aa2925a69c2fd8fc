using System.Runtime.CompilerServices;
using System.Buffers;

namespace Heads.Core.Geometry;

/// <summary>Which points of a mesh land in the volume.</summary>
public enum VoxelSampling
{
    /// <summary>Points spread over every triangle at sub-voxel spacing, so coarse meshes leave no holes.</summary>
    Surface,

    /// <summary>Mesh vertices only, as the original train_y_gen did (kept as a baseline).</summary>
    VerticesOnly,
}

public sealed record VoxelizerOptions
{
    public static VoxelizerOptions Default { get; } = new();

    /// <summary>Voxels per axis (32 in FaceTo3D).</summary>
    public int Size { get; init; } = VoxelVolume.DefaultSize;

    public VoxelSampling Sampling { get; init; } = VoxelSampling.Surface;

    /// <summary>Largest distance between surface samples along a triangle edge, in voxels; ≤ 0.5 keeps a surface gap-free.</summary>
    public float SampleSpacing { get; init; } = 0.5f;
}

/// <summary>
/// Turns a coloured mesh into a grayscale <see cref="VoxelVolume"/> the way FaceTo3D's train_y_gen meant to:
/// coordinates are divided by the largest absolute coordinate over all axes, [-1, 1] maps to [0, size),
/// and each voxel holds the mean luminance (0.299r + 0.587g + 0.114b) of the points in it.
/// Unlike the original every call starts from zeroed accumulators, empty voxels are exactly 0 and an occupied
/// voxel is at least 1 (so black skin is not mistaken for empty space).
/// </summary>
public static class Voxelizer
{
    public static VoxelVolume Voxelize(HeadMesh mesh, VoxelizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        options ??= VoxelizerOptions.Default;
        var volume = new VoxelVolume(options.Size);
        Voxelize(mesh.Positions, mesh.Colors, mesh.Triangles, volume.Data, options);
        return volume;
    }

    /// <summary>
    /// Voxelises into <paramref name="destination"/> (size³ bytes, overwritten). Without triangles the vertices are used.
    /// </summary>
    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Voxelize(ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, ReadOnlySpan<int> triangles, Span<byte> destination, VoxelizerOptions? options = null)
    {
        options ??= VoxelizerOptions.Default;
        int size = options.Size;
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(options), "Size must be positive.");
        if (!(options.SampleSpacing > 0)) throw new ArgumentOutOfRangeException(nameof(options), "SampleSpacing must be positive.");
        if (positions.Length % 3 != 0) throw new ArgumentException("Positions must hold x, y, z triples.", nameof(positions));
        if (colors.Length != positions.Length) throw new ArgumentException("Colours must hold one r, g, b triple per vertex.", nameof(colors));
        if (triangles.Length % 3 != 0) throw new ArgumentException("Triangles must hold index triples.", nameof(triangles));
        int cells = size * size * size;
        if (destination.Length != cells) throw new ArgumentException($"Destination must hold {cells} bytes.", nameof(destination));
        int n = positions.Length / 3;
        destination.Clear();
        if (n == 0) return;

        float lax = LongestAbsoluteAxis(positions);
        if (!float.IsFinite(lax)) throw new ArgumentException("Positions contain a non-finite coordinate.", nameof(positions));
        if (lax == 0) throw new ArgumentException("All positions are at the origin; the mesh has no extent to normalise.", nameof(positions));

        // Accumulators live only for this call: the original kept them across heads.
        var sums = ArrayPool<float>.Shared.Rent(cells);
        var counts = ArrayPool<int>.Shared.Rent(cells);
        var voxelCoords = ArrayPool<float>.Shared.Rent(positions.Length);
        var luminance = ArrayPool<float>.Shared.Rent(n);
        var vertexCell = ArrayPool<int>.Shared.Rent(n);
        try
        {
            Array.Clear(sums, 0, cells);
            Array.Clear(counts, 0, cells);
            float scale = 0.5f * size / lax, offset = 0.5f * size;
            for (int v = 0, i = 0; v < n; v++, i += 3)
            {
                float ux = positions[i] * scale + offset, uy = positions[i + 1] * scale + offset, uz = positions[i + 2] * scale + offset;
                voxelCoords[i] = ux;
                voxelCoords[i + 1] = uy;
                voxelCoords[i + 2] = uz;
                luminance[v] = Luminance(colors[i], colors[i + 1], colors[i + 2]);
                vertexCell[v] = Cell(ux, uy, uz, size);
            }

            if (options.Sampling == VoxelSampling.VerticesOnly || triangles.IsEmpty)
            {
                for (int v = 0; v < n; v++)
                {
                    sums[vertexCell[v]] += luminance[v];
                    counts[vertexCell[v]]++;
                }
            }
            else
            {
                SampleTriangles(triangles, voxelCoords, luminance, vertexCell, sums, counts, size, options.SampleSpacing, n);
            }

            for (int c = 0; c < cells; c++)
            {
                int count = counts[c];
                if (count == 0) continue;
                float mean = MathF.Round(sums[c] / count);
                destination[c] = mean >= 255f ? (byte)255 : mean <= 1f ? (byte)1 : (byte)mean;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
            ArrayPool<int>.Shared.Return(counts);
            ArrayPool<float>.Shared.Return(voxelCoords);
            ArrayPool<float>.Shared.Return(luminance);
            ArrayPool<int>.Shared.Return(vertexCell);
        }
    }

    /// <summary>ITU-R 601 luma of an 8-bit colour, 0–255.</summary>
    public static float Luminance(byte r, byte g, byte b) => 0.299f * r + 0.587f * g + 0.114f * b;

    /// <summary>Largest |coordinate| over all vertices and axes: the original's normalisation divisor.</summary>
    public static float LongestAbsoluteAxis(ReadOnlySpan<float> positions)
    {
        float lax = 0;
        foreach (float p in positions)
        {
            float a = MathF.Abs(p);
            if (a > lax || float.IsNaN(a)) lax = a;
            if (float.IsNaN(lax)) return float.NaN;
        }
        return lax;
    }

    private static int Cell(float ux, float uy, float uz, int size)
    {
        int x = Clamp((int)MathF.Floor(ux), size), y = Clamp((int)MathF.Floor(uy), size), z = Clamp((int)MathF.Floor(uz), size);
        return (z * size + y) * size + x;
    }

    private static int Clamp(int v, int size) => v < 0 ? 0 : v >= size ? size - 1 : v;

    private static void SampleTriangles(ReadOnlySpan<int> triangles, float[] uvw, float[] lum, int[] vertexCell, float[] sums, int[] counts, int size, float spacing, int vertexCount)
    {
        var cornerOnly = ArrayPool<bool>.Shared.Rent(vertexCount);
        try
        {
            Array.Clear(cornerOnly, 0, vertexCount);
            SampleTriangles(triangles, uvw, lum, vertexCell, sums, counts, size, spacing, vertexCount, cornerOnly);
        }
        finally
        {
            ArrayPool<bool>.Shared.Return(cornerOnly);
        }
    }

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SampleTriangles(ReadOnlySpan<int> triangles, float[] uvw, float[] lum, int[] vertexCell, float[] sums, int[] counts, int size, float spacing, int vertexCount, bool[] cornerOnly)
    {
        float inverseSpacing = 1f / spacing, spacing2 = spacing * spacing;
        for (int t = 0; t < triangles.Length; t += 3)
        {
            int a = triangles[t], b = triangles[t + 1], c = triangles[t + 2];
            if ((uint)a >= (uint)vertexCount || (uint)b >= (uint)vertexCount || (uint)c >= (uint)vertexCount)
                throw new ArgumentOutOfRangeException(nameof(triangles), $"Triangle {t / 3} references a vertex outside 0..{vertexCount - 1}.");
            int ia = a * 3, ib = b * 3, ic = c * 3;
            float ax = uvw[ia], ay = uvw[ia + 1], az = uvw[ia + 2];
            float abx = uvw[ib] - ax, aby = uvw[ib + 1] - ay, abz = uvw[ib + 2] - az;
            float acx = uvw[ic] - ax, acy = uvw[ic + 1] - ay, acz = uvw[ic + 2] - az;
            float bcx = acx - abx, bcy = acy - aby, bcz = acz - abz;
            float longest2 = MathF.Max(abx * abx + aby * aby + abz * abz, MathF.Max(acx * acx + acy * acy + acz * acz, bcx * bcx + bcy * bcy + bcz * bcz));
            if (longest2 <= spacing2)
            {
                // Smaller than the spacing: its corners already cover it. Each corner counts once however many
                // small triangles share it, so a dense mesh averages its vertices like the original did.
                cornerOnly[a] = cornerOnly[b] = cornerOnly[c] = true;
                continue;
            }
            int steps = (int)MathF.Ceiling(MathF.Sqrt(longest2) * inverseSpacing);
            float la = lum[a], lab = lum[b] - la, lac = lum[c] - la;
            float inv = 1f / steps;
            // Barycentric grid: (i, j) with i + j ≤ steps, spacing ≤ SampleSpacing along every edge direction.
            for (int i = 0; i <= steps; i++)
            {
                float s = i * inv;
                float px = ax + abx * s, py = ay + aby * s, pz = az + abz * s, pl = la + lab * s;
                for (int j = 0; j <= steps - i; j++)
                {
                    float r = j * inv;
                    int cell = Cell(px + acx * r, py + acy * r, pz + acz * r, size);
                    sums[cell] += pl + lac * r;
                    counts[cell]++;
                }
            }
        }
        for (int v = 0; v < vertexCount; v++)
        {
            if (!cornerOnly[v]) continue;
            sums[vertexCell[v]] += lum[v];
            counts[vertexCell[v]]++;
        }
    }
}
