using System.Collections.Concurrent;
using System.Numerics;

namespace Heads.Core.Synthetic;

/// <summary>
/// A closed triangulated sphere of unit directions: the six faces of a cube, each an n×n grid, with the grid
/// points on shared cube edges stored once so that every mesh edge belongs to exactly two triangles.
/// Directions are spaced equi-angularly and then drawn towards +z (the face) so features get more vertices.
/// Triangles wind counter-clockwise seen from outside.
/// </summary>
internal sealed class CubeSphere
{
    private static readonly ConcurrentDictionary<int, CubeSphere> Cache = new();

    private CubeSphere(Vector3[] directions, int[] triangles)
    {
        Directions = directions;
        Triangles = triangles;
    }

    public Vector3[] Directions { get; }
    public int[] Triangles { get; }

    /// <summary>How strongly directions are drawn towards +z: vertex density there grows by 1/(1-FrontBias)².</summary>
    public const float FrontBias = 0.35f;

    public static CubeSphere Get(int resolution) => Cache.GetOrAdd(resolution, Build);

    private static CubeSphere Build(int n)
    {
        if (n < 2) throw new ArgumentOutOfRangeException(nameof(n), n, "Cube-sphere resolution must be at least 2.");
        int size = n + 1;
        var index = new int[size * size * size];
        Array.Fill(index, -1);
        var directions = new List<Vector3>(6 * n * n + 2);
        var triangles = new int[6 * n * n * 6];
        int tri = 0;

        // Each face: origin corner and two axes (u, v) with u × v pointing outward, in lattice units.
        ReadOnlySpan<(int Ox, int Oy, int Oz, int Ux, int Uy, int Uz, int Vx, int Vy, int Vz)> faces =
        [
            (n, 0, 0, 0, 1, 0, 0, 0, 1),   // +x
            (0, 0, 0, 0, 0, 1, 0, 1, 0),   // -x
            (0, n, 0, 0, 0, 1, 1, 0, 0),   // +y
            (0, 0, 0, 1, 0, 0, 0, 0, 1),   // -y
            (0, 0, n, 1, 0, 0, 0, 1, 0),   // +z
            (0, 0, 0, 0, 1, 0, 1, 0, 0),   // -z
        ];
        foreach (var f in faces)
        {
            int Vertex(int i, int j)
            {
                int x = f.Ox + f.Ux * i + f.Vx * j, y = f.Oy + f.Uy * i + f.Vy * j, z = f.Oz + f.Uz * i + f.Vz * j;
                int key = (x * size + y) * size + z;
                if (index[key] < 0)
                {
                    index[key] = directions.Count;
                    directions.Add(Direction(x, y, z, n));
                }
                return index[key];
            }

            for (int j = 0; j < n; j++)
            {
                for (int i = 0; i < n; i++)
                {
                    int a = Vertex(i, j), b = Vertex(i + 1, j), c = Vertex(i + 1, j + 1), d = Vertex(i, j + 1);
                    // Alternate the diagonal in a checkerboard so the mesh has no directional bias.
                    if (((i + j) & 1) == 0)
                    {
                        triangles[tri++] = a; triangles[tri++] = b; triangles[tri++] = c;
                        triangles[tri++] = a; triangles[tri++] = c; triangles[tri++] = d;
                    }
                    else
                    {
                        triangles[tri++] = a; triangles[tri++] = b; triangles[tri++] = d;
                        triangles[tri++] = b; triangles[tri++] = c; triangles[tri++] = d;
                    }
                }
            }
        }
        return new CubeSphere([.. directions], triangles);
    }

    private static Vector3 Direction(int x, int y, int z, int n)
    {
        // Equi-angular cube map: tan of the lattice angle gives evenly spaced directions on each face.
        static float Axis(int k, int n) => MathF.Tan((2f * k / n - 1f) * (MathF.PI / 4f));
        var d = Vector3.Normalize(new Vector3(Axis(x, n), Axis(y, n), Axis(z, n)));
        // Draw towards +z: polar angle θ from +z becomes θ - b·sin θ (monotonic for b < 1, so order is kept).
        float theta = MathF.Acos(Math.Clamp(d.Z, -1f, 1f));
        float warped = theta - FrontBias * MathF.Sin(theta);
        float sxy = MathF.Sqrt(d.X * d.X + d.Y * d.Y);
        if (sxy < 1e-7f) return d;
        float s = MathF.Sin(warped) / sxy;
        return new Vector3(d.X * s, d.Y * s, MathF.Cos(warped));
    }
}
