using Heads.Core.Geometry;

namespace Heads.Geometry.Tests;

/// <summary>Small deterministic meshes for tests.</summary>
public static class TestMeshes
{
    /// <summary>A UV sphere (closed, outward ccw triangles) with colours that vary over the surface.</summary>
    public static HeadMesh Sphere(int stacks, int slices, float radius = 1f, float cx = 0, float cy = 0, float cz = 0)
    {
        int n = 2 + (stacks - 1) * slices;
        var p = new float[n * 3];
        var c = new byte[n * 3];
        void Put(int v, float x, float y, float z)
        {
            p[v * 3] = cx + radius * x; p[v * 3 + 1] = cy + radius * y; p[v * 3 + 2] = cz + radius * z;
            c[v * 3] = (byte)(127.5f + 127.5f * x);
            c[v * 3 + 1] = (byte)(127.5f + 127.5f * y);
            c[v * 3 + 2] = (byte)(127.5f + 127.5f * z);
        }
        Put(0, 0, 0, 1);
        Put(n - 1, 0, 0, -1);
        for (int s = 1; s < stacks; s++)
        {
            double theta = Math.PI * s / stacks;
            for (int k = 0; k < slices; k++)
            {
                double phi = 2 * Math.PI * k / slices;
                Put(1 + (s - 1) * slices + k, (float)(Math.Sin(theta) * Math.Cos(phi)), (float)(Math.Sin(theta) * Math.Sin(phi)), (float)Math.Cos(theta));
            }
        }
        var t = new List<int>();
        int Ring(int s, int k) => 1 + (s - 1) * slices + ((k % slices) + slices) % slices;
        for (int k = 0; k < slices; k++) t.AddRange([0, Ring(1, k), Ring(1, k + 1)]);
        for (int s = 1; s < stacks - 1; s++)
            for (int k = 0; k < slices; k++)
            {
                int a = Ring(s, k), b = Ring(s + 1, k), d = Ring(s + 1, k + 1), e = Ring(s, k + 1);
                t.AddRange([a, b, d, a, d, e]);
            }
        for (int k = 0; k < slices; k++) t.AddRange([n - 1, Ring(stacks - 1, k + 1), Ring(stacks - 1, k)]);
        return new HeadMesh(p, c, t.ToArray());
    }

    /// <summary>A tetrahedron with distinct vertex colours.</summary>
    public static HeadMesh Tetrahedron() => new(
        [1, 1, 1, -1, -1, 1, -1, 1, -1, 1, -1, -1],
        [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30],
        [0, 1, 2, 0, 3, 1, 0, 2, 3, 1, 3, 2]);

    /// <summary>Random vertices and triangles; colours and positions seeded.</summary>
    public static HeadMesh Random(int seed, int vertices, int triangles)
    {
        var rng = new Random(seed);
        var p = new float[vertices * 3];
        var c = new byte[vertices * 3];
        for (int i = 0; i < p.Length; i++) p[i] = (float)(rng.NextDouble() * 4 - 2);
        rng.NextBytes(c);
        var t = new int[triangles * 3];
        for (int i = 0; i < t.Length; i++) t[i] = rng.Next(vertices);
        return new HeadMesh(p, c, t);
    }
}
