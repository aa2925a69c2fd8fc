using System.Runtime.CompilerServices;
namespace Heads.Core.Geometry;

/// <summary>One HeadsNet training row: inputs (seed, icosphere index / 10242) and outputs (x, y, z, r, g, b).</summary>
public readonly record struct HeadsNetRow(float Seed, float SphereCoordinate, float X, float Y, float Z, float R, float G, float B)
{
    public const int Inputs = 2;
    public const int Outputs = 6;
    public const int Floats = Inputs + Outputs;

    public void CopyTo(Span<float> destination)
    {
        destination[0] = Seed; destination[1] = SphereCoordinate;
        destination[2] = X; destination[3] = Y; destination[4] = Z;
        destination[5] = R; destination[6] = G; destination[7] = B;
    }
}

/// <summary>Receives a block of encoded rows, <see cref="HeadsNetRow.Floats"/> floats per row; the span is reused after the call.</summary>
public delegate void HeadsNetRowsHandler(ReadOnlySpan<float> rows);

/// <summary>
/// Encodes a head mesh as HeadsNet training rows. The head is centred on its bounding-box centre and scaled by its
/// largest radius into the unit sphere; each vertex is traced along its normal to the sphere (exact ray–sphere
/// intersection, where the original only approximated it) and matched to the nearest icosphere vertex. Every vertex
/// yields one row, so several rows may share an icosphere index, as in the original.
/// </summary>
public sealed class HeadsNetEncoder
{
    private readonly IcosphereIndex _index;

    public HeadsNetEncoder(IcosphereIndex? index = null) => _index = index ?? IcosphereIndex.HeadsNet;

    public IcosphereIndex Index => _index;

    /// <summary>Rows one mesh produces (one per vertex).</summary>
    public static int RowCount(HeadMesh mesh) => mesh.VertexCount;

    /// <summary>Writes all rows of <paramref name="mesh"/> into <paramref name="rows"/> (VertexCount × 8 floats).</summary>
    public void Encode(HeadMesh mesh, float seed, Span<float> rows)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        if (rows.Length < mesh.VertexCount * HeadsNetRow.Floats)
            throw new ArgumentException($"Destination needs {mesh.VertexCount * HeadsNetRow.Floats} floats.", nameof(rows));
        var frame = HeadFrame.Of(mesh.Positions);
        EncodeRange(mesh, seed, frame, 0, mesh.VertexCount, rows);
    }

    /// <summary>Streams rows in blocks of at most <paramref name="rowsPerBlock"/> to <paramref name="onRows"/>; memory stays at one block.</summary>
    public void Encode(HeadMesh mesh, float seed, HeadsNetRowsHandler onRows, int rowsPerBlock = 4096)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(onRows);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerBlock, 1);
        var frame = HeadFrame.Of(mesh.Positions);
        int n = mesh.VertexCount;
        var block = new float[Math.Min(rowsPerBlock, Math.Max(n, 1)) * HeadsNetRow.Floats];
        for (int start = 0; start < n; start += rowsPerBlock)
        {
            int count = Math.Min(rowsPerBlock, n - start);
            var span = block.AsSpan(0, count * HeadsNetRow.Floats);
            EncodeRange(mesh, seed, frame, start, count, span);
            onRows(span);
        }
    }

    /// <summary>Rows one at a time, for LINQ-style consumers; prefer the block overloads for volume.</summary>
    public IEnumerable<HeadsNetRow> Rows(HeadMesh mesh, float seed)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return Iterate(mesh, seed);

        IEnumerable<HeadsNetRow> Iterate(HeadMesh m, float s)
        {
            var frame = HeadFrame.Of(m.Positions);
            var one = new float[HeadsNetRow.Floats];
            for (int v = 0; v < m.VertexCount; v++)
            {
                EncodeRange(m, s, frame, v, 1, one);
                yield return new HeadsNetRow(one[0], one[1], one[2], one[3], one[4], one[5], one[6], one[7]);
            }
        }
    }

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EncodeRange(HeadMesh mesh, float seed, in HeadFrame frame, int start, int count, Span<float> rows)
    {
        var p = mesh.Positions;
        var nrm = mesh.Normals;
        var c = mesh.Colors;
        float sphereCount = _index.Sphere.VertexCount;
        for (int k = 0; k < count; k++)
        {
            int v = start + k, i = v * 3, o = k * HeadsNetRow.Floats;
            float x = (p[i] - frame.Cx) * frame.InverseRadius;
            float y = (p[i + 1] - frame.Cy) * frame.InverseRadius;
            float z = (p[i + 2] - frame.Cz) * frame.InverseRadius;
            TraceToSphere(x, y, z, nrm[i], nrm[i + 1], nrm[i + 2], out float sx, out float sy, out float sz);
            int nearest = _index.Nearest(sx, sy, sz);
            rows[o] = seed;
            rows[o + 1] = nearest / sphereCount;
            rows[o + 2] = x;
            rows[o + 3] = y;
            rows[o + 4] = z;
            rows[o + 5] = c[i] / 255f;
            rows[o + 6] = c[i + 1] / 255f;
            rows[o + 7] = c[i + 2] / 255f;
        }
    }

    /// <summary>
    /// Where the ray from p (inside the unit sphere) along normal n leaves the sphere: p + t·n with
    /// t = −(p·n) + √((p·n)² − (|p|² − 1)). A zero normal falls back to the radial direction.
    /// </summary>
    public static void TraceToSphere(float px, float py, float pz, float nx, float ny, float nz, out float sx, out float sy, out float sz)
    {
        float nn = nx * nx + ny * ny + nz * nz;
        if (!(nn > 1e-20f))
        {
            sx = px; sy = py; sz = pz;
            return;
        }
        float inv = 1f / MathF.Sqrt(nn);
        nx *= inv; ny *= inv; nz *= inv;
        float pn = px * nx + py * ny + pz * nz;
        float pp = px * px + py * py + pz * pz;
        float disc = pn * pn - (pp - 1f);
        float t = -pn + MathF.Sqrt(MathF.Max(disc, 0f));
        sx = px + t * nx;
        sy = py + t * ny;
        sz = pz + t * nz;
    }

    /// <summary>The normalisation: bounding-box centre and 1 / largest distance from it.</summary>
    public readonly record struct HeadFrame(float Cx, float Cy, float Cz, float InverseRadius)
    {
        public static HeadFrame Of(ReadOnlySpan<float> positions)
        {
            if (positions.Length < 3) return new HeadFrame(0, 0, 0, 1);
            // In double: finite float coordinates near ±3.4e38 overflow a float centre or squared radius.
            double minX = double.MaxValue, minY = double.MaxValue, minZ = double.MaxValue;
            double maxX = double.MinValue, maxY = double.MinValue, maxZ = double.MinValue;
            for (int i = 0; i < positions.Length; i += 3)
            {
                double x = positions[i], y = positions[i + 1], z = positions[i + 2];
                if (x < minX) minX = x; if (x > maxX) maxX = x;
                if (y < minY) minY = y; if (y > maxY) maxY = y;
                if (z < minZ) minZ = z; if (z > maxZ) maxZ = z;
            }
            double cx = (minX + maxX) * 0.5, cy = (minY + maxY) * 0.5, cz = (minZ + maxZ) * 0.5;
            double r2 = 0;
            for (int i = 0; i < positions.Length; i += 3)
            {
                double dx = positions[i] - cx, dy = positions[i + 1] - cy, dz = positions[i + 2] - cz;
                r2 = Math.Max(r2, dx * dx + dy * dy + dz * dz);
            }
            if (!double.IsFinite(r2)) throw new ArgumentException("Positions contain a non-finite coordinate.", nameof(positions));
            return new HeadFrame((float)cx, (float)cy, (float)cz, r2 > 0 ? (float)(1 / Math.Sqrt(r2)) : 1f);
        }
    }
}

/// <summary>Generation-time inputs of the original encoding (<see cref="Models.HeadsNetEncoding.Original"/>): a fixed head seed swept over N sphere coordinates i / N.</summary>
public static class HeadsNetSampling
{
    /// <summary>The original's default point count per sampled head.</summary>
    public const int DefaultPointCount = 200_000;

    /// <summary>(seed, i / pointCount) pairs, interleaved: pointCount × 2 floats.</summary>
    public static float[] Inputs(float seed, int pointCount = DefaultPointCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pointCount);
        var inputs = new float[pointCount * 2];
        Inputs(seed, pointCount, inputs);
        return inputs;
    }

    public static void Inputs(float seed, int pointCount, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pointCount);
        if (destination.Length < pointCount * 2) throw new ArgumentException($"Destination needs {pointCount * 2} floats.", nameof(destination));
        for (int i = 0; i < pointCount; i++)
        {
            destination[i * 2] = seed;
            destination[i * 2 + 1] = (float)i / pointCount;
        }
    }
}
