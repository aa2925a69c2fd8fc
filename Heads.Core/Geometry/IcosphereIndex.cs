using System.Runtime.CompilerServices;

namespace Heads.Core.Geometry;

/// <summary>
/// Nearest-vertex queries on an <see cref="Icosphere"/>. All sphere vertices have unit length, so for any query q
/// the nearest vertex is the one with the largest dot product with q: the query's direction alone decides.
/// Directions are bucketed on a cube map (6 faces × resolution² cells); each cell stores every vertex that can be
/// nearest to some direction in it (within the cell's angular radius plus the sphere's covering radius), so a query
/// scans a handful of candidates instead of all vertices and still returns the exact nearest one.
/// </summary>
public sealed class IcosphereIndex
{
    private static readonly Lazy<IcosphereIndex> HeadsNetIndex = new(() => new IcosphereIndex(Icosphere.HeadsNet));

    /// <summary>The shared index over <see cref="Icosphere.HeadsNet"/> (immutable, thread-safe).</summary>
    public static IcosphereIndex HeadsNet => HeadsNetIndex.Value;

    private readonly int _resolution;
    private readonly float _halfResolution;
    private readonly int[] _cellStart;
    private readonly int[] _candidateVertex;
    private readonly float[] _candidateXyz;

    public IcosphereIndex(Icosphere sphere, int resolution = 0)
    {
        ArgumentNullException.ThrowIfNull(sphere);
        Sphere = sphere;
        // About one icosphere edge per cell at the cube face centre keeps candidate lists short.
        _resolution = resolution > 0 ? resolution : Math.Max(2, (int)Math.Ceiling(Math.Sqrt(sphere.VertexCount / 6.0) * 0.9));
        _halfResolution = _resolution * 0.5f;
        (_cellStart, _candidateVertex, _candidateXyz) = Build(sphere, _resolution);
    }

    public Icosphere Sphere { get; }

    public int Resolution => _resolution;

    /// <summary>Average number of vertices a query compares.</summary>
    public double MeanCandidates => (double)_candidateVertex.Length / (_cellStart.Length - 1);

    /// <summary>Index of the sphere vertex nearest to (x, y, z). The origin, equidistant from all, maps to vertex 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Nearest(float x, float y, float z)
    {
        int cell = CellOf(x, y, z);
        if (cell < 0) return cell == -1 ? 0 : throw new ArgumentException($"Query ({x}, {y}, {z}) is not finite.");
        int start = _cellStart[cell], end = _cellStart[cell + 1];
        var xyz = _candidateXyz;
        int best = start;
        float bestDot = float.NegativeInfinity;
        for (int k = start; k < end; k++)
        {
            int o = k * 3;
            float d = xyz[o] * x + xyz[o + 1] * y + xyz[o + 2] * z;
            if (d > bestDot)
            {
                bestDot = d;
                best = k;
            }
        }
        return _candidateVertex[best];
    }

    /// <summary>Nearest vertex for each point of <paramref name="points"/> (x, y, z interleaved).</summary>
    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Nearest(ReadOnlySpan<float> points, Span<int> nearest)
    {
        if (points.Length % 3 != 0) throw new ArgumentException("Points must hold x, y, z triples.", nameof(points));
        if (nearest.Length < points.Length / 3) throw new ArgumentException("Destination is shorter than the point count.", nameof(nearest));
        for (int i = 0, p = 0; p < points.Length; i++, p += 3)
            nearest[i] = Nearest(points[p], points[p + 1], points[p + 2]);
    }

    /// <summary>The original's search: Euclidean distance to every vertex, first minimum wins.</summary>
    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int NearestBruteForce(ReadOnlySpan<float> spherePositions, float x, float y, float z)
    {
        int closest = -1;
        float best = float.MaxValue;
        for (int i = 0; i < spherePositions.Length; i += 3)
        {
            float dx = spherePositions[i] - x, dy = spherePositions[i + 1] - y, dz = spherePositions[i + 2] - z;
            float d = MathF.Sqrt(dx * dx + dy * dy + dz * dz);
            if (d < best)
            {
                best = d;
                closest = i / 3;
            }
        }
        return closest;
    }

    /// <summary>Cube-map cell of a direction; -1 for the origin, -2 for a non-finite query.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int CellOf(float x, float y, float z)
    {
        float ax = MathF.Abs(x), ay = MathF.Abs(y), az = MathF.Abs(z);
        int face;
        float u, v, major;
        if (ax >= ay && ax >= az)
        {
            face = x >= 0 ? 0 : 1;
            major = ax; u = y; v = z;
        }
        else if (ay >= az)
        {
            face = y >= 0 ? 2 : 3;
            major = ay; u = x; v = z;
        }
        else
        {
            face = z >= 0 ? 4 : 5;
            major = az; u = x; v = y;
        }
        if (!(major > 0)) return float.IsNaN(major) || float.IsNaN(x + y + z) ? -2 : -1;
        if (!float.IsFinite(major)) return -2;
        float inv = _halfResolution / major;
        int i = (int)((u * inv) + _halfResolution), j = (int)((v * inv) + _halfResolution);
        int last = _resolution - 1;
        i = i < 0 ? 0 : i > last ? last : i;
        j = j < 0 ? 0 : j > last ? last : j;
        return (face * _resolution + j) * _resolution + i;
    }

    private static (int[] CellStart, int[] Vertex, float[] Xyz) Build(Icosphere sphere, int resolution)
    {
        var p = sphere.Positions;
        int n = sphere.VertexCount;
        double coveringRadius = CoveringRadius(sphere);

        // Coarse 3D buckets of the vertices answer the per-cell range queries during the build.
        const int B = 16;
        var bucketStart = new int[B * B * B + 1];
        var bucketOf = new int[n];
        for (int v = 0; v < n; v++)
        {
            int b = Bucket(p[v * 3], B) + B * (Bucket(p[v * 3 + 1], B) + B * Bucket(p[v * 3 + 2], B));
            bucketOf[v] = b;
            bucketStart[b + 1]++;
        }
        for (int b = 0; b < B * B * B; b++) bucketStart[b + 1] += bucketStart[b];
        var bucketVertices = new int[n];
        var fill = (int[])bucketStart.Clone();
        for (int v = 0; v < n; v++) bucketVertices[fill[bucketOf[v]]++] = v;

        int cells = 6 * resolution * resolution;
        var cellStart = new int[cells + 1];
        var lists = new List<int>(cells * 12);
        Span<double> corner = stackalloc double[3];
        for (int face = 0; face < 6; face++)
        for (int j = 0; j < resolution; j++)
        for (int i = 0; i < resolution; i++)
        {
            int cell = (face * resolution + j) * resolution + i;
            cellStart[cell] = lists.Count;
            double u0 = 2.0 * i / resolution - 1, u1 = 2.0 * (i + 1) / resolution - 1;
            double v0 = 2.0 * j / resolution - 1, v1 = 2.0 * (j + 1) / resolution - 1;
            Direction(face, (u0 + u1) / 2, (v0 + v1) / 2, out double cx, out double cy, out double cz);
            // The cell is a convex spherical quadrilateral: its farthest point from the centre is a corner.
            double minCos = 1;
            for (int k = 0; k < 4; k++)
            {
                Direction(face, (k & 1) == 0 ? u0 : u1, (k & 2) == 0 ? v0 : v1, out double qx, out double qy, out double qz);
                minCos = Math.Min(minCos, cx * qx + cy * qy + cz * qz);
            }
            double reach = Math.Acos(Math.Clamp(minCos, -1, 1)) + coveringRadius;
            double cosReach = Math.Cos(reach);
            double chord = 2 * Math.Sin(reach / 2) + 1e-9;
            int bx0 = Bucket(cx - chord, B), bx1 = Bucket(cx + chord, B);
            int by0 = Bucket(cy - chord, B), by1 = Bucket(cy + chord, B);
            int bz0 = Bucket(cz - chord, B), bz1 = Bucket(cz + chord, B);
            for (int bz = bz0; bz <= bz1; bz++)
            for (int by = by0; by <= by1; by++)
            for (int bx = bx0; bx <= bx1; bx++)
            {
                int b = bx + B * (by + B * bz);
                for (int k = bucketStart[b]; k < bucketStart[b + 1]; k++)
                {
                    int v = bucketVertices[k];
                    if (cx * p[v * 3] + cy * p[v * 3 + 1] + cz * p[v * 3 + 2] >= cosReach) lists.Add(v);
                }
            }
            // Candidates in vertex order so equal dot products resolve to the lowest index, like a linear scan.
            lists.Sort(cellStart[cell], lists.Count - cellStart[cell], null);
        }
        cellStart[cells] = lists.Count;
        var vertex = lists.ToArray();
        var xyz = new float[vertex.Length * 3];
        for (int k = 0; k < vertex.Length; k++)
        {
            xyz[k * 3] = p[vertex[k] * 3];
            xyz[k * 3 + 1] = p[vertex[k] * 3 + 1];
            xyz[k * 3 + 2] = p[vertex[k] * 3 + 2];
        }
        return (cellStart, vertex, xyz);
    }

    private static int Bucket(double coordinate, int buckets) => Math.Clamp((int)((coordinate + 1) * 0.5 * buckets), 0, buckets - 1);

    private static void Direction(int face, double u, double v, out double x, out double y, out double z)
    {
        double s = face % 2 == 0 ? 1 : -1;
        (x, y, z) = (face / 2) switch
        {
            0 => (s, u, v),
            1 => (u, s, v),
            _ => (u, v, s),
        };
        double len = Math.Sqrt(x * x + y * y + z * z);
        x /= len; y /= len; z /= len;
    }

    /// <summary>
    /// Upper bound on the angle from any point of the sphere to its nearest vertex: every point lies in some
    /// triangle, and within a triangle the nearest corner is no farther than the triangle's circumradius.
    /// A small margin absorbs float rounding of the stored vertices.
    /// </summary>
    private static double CoveringRadius(Icosphere sphere)
    {
        var p = sphere.Positions;
        var t = sphere.Triangles;
        double worst = 0;
        for (int f = 0; f < t.Length; f += 3)
        {
            int a = t[f] * 3, b = t[f + 1] * 3, c = t[f + 2] * 3;
            double ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            double vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
            double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
            double len = Math.Sqrt(nx * nx + ny * ny + nz * nz);
            double cos = Math.Abs(nx * p[a] + ny * p[a + 1] + nz * p[a + 2]) / len;
            worst = Math.Max(worst, Math.Acos(Math.Clamp(cos, -1, 1)));
        }
        return worst * 1.05 + 1e-5;
    }
}
