namespace Heads.Core.Geometry;

/// <summary>
/// A unit geodesic sphere built from an icosahedron by repeated 4-way subdivision (10·4ⁿ + 2 vertices:
/// 10,242 at subdivision 5, the HeadsNet sphere). The vertex order is deterministic: the 12 icosahedron
/// vertices, then each level's edge midpoints in the order their edges are first met.
/// </summary>
public sealed class Icosphere
{
    /// <summary>Subdivision level of the HeadsNet sphere.</summary>
    public const int HeadsNetSubdivisions = 5;

    /// <summary>Vertices of the HeadsNet sphere.</summary>
    public const int HeadsNetVertexCount = 10_242;

    private static readonly Lazy<Icosphere> HeadsNetSphere = new(() => new Icosphere(HeadsNetSubdivisions));

    /// <summary>The shared subdivision-5 sphere (immutable; built once).</summary>
    public static Icosphere HeadsNet => HeadsNetSphere.Value;

    public Icosphere(int subdivisions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(subdivisions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subdivisions, 8);
        Subdivisions = subdivisions;
        (Positions, Triangles) = Build(subdivisions);
    }

    public int Subdivisions { get; }

    /// <summary>Unit vectors, x, y, z interleaved.</summary>
    public float[] Positions { get; }

    /// <summary>Counter-clockwise seen from outside, three indices per triangle.</summary>
    public int[] Triangles { get; }

    public int VertexCount => Positions.Length / 3;

    public static int VertexCountFor(int subdivisions) => 10 * (1 << (2 * subdivisions)) + 2;

    private static (float[] Positions, int[] Triangles) Build(int subdivisions)
    {
        int finalCount = VertexCountFor(subdivisions);
        // Build in double so every level's midpoints are normalised without float drift.
        var p = new double[finalCount * 3];
        double t = (1 + Math.Sqrt(5)) / 2;
        ReadOnlySpan<double> ico =
        [
            -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t, 0,
            0, -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t,
            t, 0, -1, t, 0, 1, -t, 0, -1, -t, 0, 1,
        ];
        int count = 0;
        for (int i = 0; i < 12; i++) count = AddUnit(p, count, ico[i * 3], ico[i * 3 + 1], ico[i * 3 + 2]);
        int[] faces =
        [
            0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11,
            1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
            3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9,
            4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
        ];
        for (int level = 0; level < subdivisions; level++)
        {
            var midpoints = new Dictionary<long, int>(faces.Length);
            var next = new int[faces.Length * 4];
            int o = 0;
            for (int f = 0; f < faces.Length; f += 3)
            {
                int a = faces[f], b = faces[f + 1], c = faces[f + 2];
                int ab = Midpoint(a, b), bc = Midpoint(b, c), ca = Midpoint(c, a);
                next[o++] = a; next[o++] = ab; next[o++] = ca;
                next[o++] = b; next[o++] = bc; next[o++] = ab;
                next[o++] = c; next[o++] = ca; next[o++] = bc;
                next[o++] = ab; next[o++] = bc; next[o++] = ca;
            }
            faces = next;

            int Midpoint(int u, int v)
            {
                long key = u < v ? ((long)u << 32) | (uint)v : ((long)v << 32) | (uint)u;
                if (midpoints.TryGetValue(key, out int m)) return m;
                m = count / 3;
                count = AddUnit(p, count, p[u * 3] + p[v * 3], p[u * 3 + 1] + p[v * 3 + 1], p[u * 3 + 2] + p[v * 3 + 2]);
                midpoints.Add(key, m);
                return m;
            }
        }
        var positions = new float[p.Length];
        for (int i = 0; i < p.Length; i++) positions[i] = (float)p[i];
        return (positions, faces);
    }

    private static int AddUnit(double[] p, int at, double x, double y, double z)
    {
        double len = Math.Sqrt(x * x + y * y + z * z);
        p[at] = x / len;
        p[at + 1] = y / len;
        p[at + 2] = z / len;
        return at + 3;
    }
}
