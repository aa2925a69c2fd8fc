namespace Heads.Core.Geometry;

/// <summary>
/// The 256-case marching cubes tables, derived rather than pasted. Corner c sits at (c &amp; 1, c &gt;&gt; 1 &amp; 1, c &gt;&gt; 2 &amp; 1).
/// For each cube face the crossed edges are joined into directed segments (an ambiguous face keeps its inside
/// corners apart, decided from that face alone, so neighbouring cubes agree and the surface is closed); the segments
/// chain into loops around each inside region and every loop is fan-triangulated, wound so that normals point from
/// inside to outside.
/// </summary>
public static class MarchingCubesTables
{
    /// <summary>Edge e joins corners EdgeCorners[e, 0] (lower) and EdgeCorners[e, 1] along axis EdgeAxis[e].</summary>
    public static readonly int[,] EdgeCorners = BuildEdges(out EdgeAxisValues);

    private static readonly int[] EdgeAxisValues;

    public static ReadOnlySpan<int> EdgeAxis => EdgeAxisValues;

    /// <summary>Bit e set when edge e is crossed for a corner configuration (bit c = corner c inside).</summary>
    public static readonly ushort[] EdgeMasks;

    /// <summary>Triangles per configuration as edge triples: TriangleEdges[TriangleStart[m] .. TriangleStart[m + 1]).</summary>
    public static readonly byte[] TriangleEdges;

    public static readonly int[] TriangleStart;

    static MarchingCubesTables()
    {
        (EdgeMasks, TriangleEdges, TriangleStart) = Build();
    }

    private static int[,] BuildEdges(out int[] axis)
    {
        var edges = new int[12, 2];
        axis = new int[12];
        int e = 0;
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 8; c++)
            {
                if ((c & (1 << a)) != 0) continue;
                edges[e, 0] = c;
                edges[e, 1] = c | (1 << a);
                axis[e] = a;
                e++;
            }
        return edges;
    }

    private static int EdgeBetween(int c0, int c1)
    {
        int lo = Math.Min(c0, c1), hi = Math.Max(c0, c1);
        for (int e = 0; e < 12; e++)
            if (EdgeCorners[e, 0] == lo && EdgeCorners[e, 1] == hi) return e;
        throw new InvalidOperationException($"Corners {c0} and {c1} share no edge.");
    }

    private static (double X, double Y, double Z) Corner(int c) => (c & 1, (c >> 1) & 1, (c >> 2) & 1);

    /// <summary>The six faces, each as four corners counter-clockwise seen from outside the cube.</summary>
    private static int[][] Faces()
    {
        var faces = new int[6][];
        int f = 0;
        for (int a = 0; a < 3; a++)
            for (int side = 0; side < 2; side++)
            {
                int b = (a + 1) % 3, d = (a + 2) % 3;
                int Make(int u, int v) => (side << a) | (u << b) | (v << d);
                var quad = new[] { Make(0, 0), Make(1, 0), Make(1, 1), Make(0, 1) };
                // Orient by the actual cross product rather than by hand.
                var p0 = Corner(quad[0]); var p1 = Corner(quad[1]); var p2 = Corner(quad[2]);
                double ux = p1.X - p0.X, uy = p1.Y - p0.Y, uz = p1.Z - p0.Z;
                double vx = p2.X - p1.X, vy = p2.Y - p1.Y, vz = p2.Z - p1.Z;
                double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
                double outward = (a == 0 ? nx : a == 1 ? ny : nz) * (side == 0 ? -1 : 1);
                if (outward < 0) Array.Reverse(quad);
                faces[f++] = quad;
            }
        return faces;
    }

    private static (ushort[] Masks, byte[] Triangles, int[] Start) Build()
    {
        var faces = Faces();
        var masks = new ushort[256];
        var triangles = new List<byte>(256 * 12);
        var start = new int[257];
        var polygons = new List<List<int>>();
        for (int config = 0; config < 256; config++)
        {
            start[config] = triangles.Count;
            bool Inside(int c) => (config & (1 << c)) != 0;
            var next = new int[12];
            Array.Fill(next, -1);
            ushort mask = 0;
            foreach (var quad in faces)
            {
                var kind = new int[4]; // 1 exit (inside → outside along the ccw walk), -1 entry, 0 none
                for (int k = 0; k < 4; k++)
                {
                    bool a = Inside(quad[k]), b = Inside(quad[(k + 1) % 4]);
                    kind[k] = a == b ? 0 : a ? 1 : -1;
                }
                for (int k = 0; k < 4; k++)
                {
                    if (kind[k] != 1) continue;
                    // Pair each exit with the entry just before it: the segment cuts off the inside corner between them.
                    for (int back = 1; back < 4; back++)
                    {
                        int m = (k - back + 4) % 4;
                        if (kind[m] != -1) continue;
                        int from = EdgeBetween(quad[k], quad[(k + 1) % 4]);
                        int to = EdgeBetween(quad[m], quad[(m + 1) % 4]);
                        next[from] = to;
                        mask |= (ushort)((1 << from) | (1 << to));
                        break;
                    }
                }
            }
            masks[config] = mask;

            polygons.Clear();
            var used = new bool[12];
            for (int e = 0; e < 12; e++)
            {
                if (next[e] < 0 || used[e]) continue;
                var loop = new List<int>();
                for (int at = e; !used[at]; at = next[at])
                {
                    used[at] = true;
                    loop.Add(at);
                }
                polygons.Add(loop);
            }
            foreach (var loop in polygons)
            {
                int s = FanStart(loop, faces);
                int k = loop.Count;
                for (int i = 1; i + 1 < k; i++)
                {
                    triangles.Add((byte)loop[s]);
                    triangles.Add((byte)loop[(s + i) % k]);
                    triangles.Add((byte)loop[(s + i + 1) % k]);
                }
            }
        }
        start[256] = triangles.Count;
        var tri = triangles.ToArray();
        if (!WindingPointsOutward(tri, start)) 
            for (int t = 0; t < tri.Length; t += 3) (tri[t + 1], tri[t + 2]) = (tri[t + 2], tri[t + 1]);
        return (masks, tri, start);
    }

    /// <summary>
    /// A fan start whose diagonals all cross the cube's interior. A diagonal between two vertices on the same face
    /// would lie in that face, where the neighbouring cube may put the same diagonal: the surface would then have
    /// an edge shared by four triangles.
    /// </summary>
    private static int FanStart(List<int> loop, int[][] faces)
    {
        int k = loop.Count;
        for (int s = 0; s < k; s++)
        {
            bool ok = true;
            for (int i = 2; i <= k - 2 && ok; i++) ok = !ShareFace(loop[s], loop[(s + i) % k], faces);
            if (ok) return s;
        }
        throw new InvalidOperationException($"No interior fan for loop [{string.Join(", ", loop)}].");
    }

    private static bool ShareFace(int e1, int e2, int[][] faces)
    {
        foreach (var quad in faces)
        {
            bool has1 = false, has2 = false;
            for (int k = 0; k < 4; k++)
            {
                int e = EdgeBetween(quad[k], quad[(k + 1) % 4]);
                has1 |= e == e1;
                has2 |= e == e2;
            }
            if (has1 && has2) return true;
        }
        return false;
    }

    /// <summary>With only corner 0 inside, the one triangle must face away from corner 0.</summary>
    private static bool WindingPointsOutward(byte[] tri, int[] start)
    {
        int t = start[1];
        var a = Midpoint(tri[t]); var b = Midpoint(tri[t + 1]); var c = Midpoint(tri[t + 2]);
        double ux = b.X - a.X, uy = b.Y - a.Y, uz = b.Z - a.Z;
        double vx = c.X - a.X, vy = c.Y - a.Y, vz = c.Z - a.Z;
        double nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
        return nx + ny + nz > 0;
    }

    private static (double X, double Y, double Z) Midpoint(int edge)
    {
        var p = Corner(EdgeCorners[edge, 0]);
        var q = Corner(EdgeCorners[edge, 1]);
        return ((p.X + q.X) / 2, (p.Y + q.Y) / 2, (p.Z + q.Z) / 2);
    }
}
