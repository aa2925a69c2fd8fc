namespace Heads.Core.Geometry;

/// <summary>
/// A triangle mesh of a head: interleaved float positions (x, y, z), interleaved byte colours (r, g, b)
/// and triangle vertex indices (three per triangle). Normals are computed (area-weighted) when absent.
/// </summary>
public sealed class HeadMesh
{
    public HeadMesh(float[] positions, byte[] colors, int[] triangles, float[]? normals = null)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(colors);
        ArgumentNullException.ThrowIfNull(triangles);
        if (positions.Length % 3 != 0) throw new ArgumentException("Positions must hold x, y, z triples.", nameof(positions));
        if (colors.Length != positions.Length) throw new ArgumentException("Colours must hold one r, g, b triple per vertex.", nameof(colors));
        if (triangles.Length % 3 != 0) throw new ArgumentException("Triangles must hold index triples.", nameof(triangles));
        if (normals is not null && normals.Length != positions.Length) throw new ArgumentException("Normals must hold one triple per vertex.", nameof(normals));
        int n = positions.Length / 3;
        foreach (var i in triangles)
            if ((uint)i >= (uint)n) throw new ArgumentOutOfRangeException(nameof(triangles), $"Triangle index {i} is outside 0..{n - 1}.");
        Positions = positions;
        Colors = colors;
        Triangles = triangles;
        Normals = normals ?? ComputeVertexNormals(positions, triangles);
    }

    public float[] Positions { get; }
    public byte[] Colors { get; }
    public int[] Triangles { get; }
    public float[] Normals { get; }
    public int VertexCount => Positions.Length / 3;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>Area-weighted vertex normals: the unnormalised cross product of each face adds its area weight.</summary>
    public static float[] ComputeVertexNormals(ReadOnlySpan<float> p, ReadOnlySpan<int> t)
    {
        var n = new float[p.Length];
        for (int f = 0; f < t.Length; f += 3)
        {
            int a = t[f] * 3, b = t[f + 1] * 3, c = t[f + 2] * 3;
            float ux = p[b] - p[a], uy = p[b + 1] - p[a + 1], uz = p[b + 2] - p[a + 2];
            float vx = p[c] - p[a], vy = p[c + 1] - p[a + 1], vz = p[c + 2] - p[a + 2];
            float cx = uy * vz - uz * vy, cy = uz * vx - ux * vz, cz = ux * vy - uy * vx;
            n[a] += cx; n[a + 1] += cy; n[a + 2] += cz;
            n[b] += cx; n[b + 1] += cy; n[b + 2] += cz;
            n[c] += cx; n[c + 1] += cy; n[c + 2] += cz;
        }
        for (int i = 0; i < n.Length; i += 3)
        {
            float len = MathF.Sqrt(n[i] * n[i] + n[i + 1] * n[i + 1] + n[i + 2] * n[i + 2]);
            if (len > 0) { n[i] /= len; n[i + 1] /= len; n[i + 2] /= len; }
        }
        return n;
    }
}
