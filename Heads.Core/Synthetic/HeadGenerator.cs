using System.Numerics;
using System.Runtime.CompilerServices;
using Heads.Core.Geometry;

namespace Heads.Core.Synthetic;

/// <summary>A generated head: the traits it was drawn from and its mesh.</summary>
public sealed record SyntheticHead(HeadTraits Traits, HeadMesh Mesh);

/// <summary>
/// Builds seeded, deterministic human heads: a closed vertex-coloured triangle mesh (y up, face towards +z,
/// within about [-1, 1]). A cube-sphere of directions is shot from a point inside the head and each direction's
/// vertex is placed where the ray leaves the head's signed-distance field, so the mesh is watertight by
/// construction and its triangle count is fixed by the resolution (12·n²).
/// </summary>
public sealed class HeadGenerator
{
    /// <summary>72 gives 62,208 triangles and 31,106 vertices.</summary>
    public const int DefaultResolution = 72;

    /// <summary>The point rays start from; every head part is visible from it along a straight line.</summary>
    private static readonly Vector3 RayOrigin = new(0f, -0.3f, -0.05f);
    private const float RayStart = 1.6f;

    private readonly int _resolution;

    public HeadGenerator(int resolution = DefaultResolution)
    {
        if (resolution is < 8 or > 256)
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "Head resolution must be within 8..256 grid cells per cube face.");
        _resolution = resolution;
    }

    public int Resolution => _resolution;
    public int TriangleCount => 12 * _resolution * _resolution;

    public HeadMesh Generate(ulong seed) => Generate(HeadTraits.FromSeed(seed));

    public SyntheticHead Create(ulong seed)
    {
        var traits = HeadTraits.FromSeed(seed);
        return new SyntheticHead(traits, Generate(traits));
    }

    public HeadMesh Generate(HeadTraits traits)
    {
        ArgumentNullException.ThrowIfNull(traits);
        var shape = new HeadShape(traits);
        var sphere = CubeSphere.Get(_resolution);
        var dirs = sphere.Directions;
        int n = dirs.Length;
        var local = new Vector3[n];
        // Vertices are independent, so the parallel loop gives the same bytes as a sequential one.
        Parallel.For(0, n, i => local[i] = RayOrigin + dirs[i] * Exit(shape, dirs[i]));

        float scale = traits.Scale;
        var positions = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            positions[3 * i] = local[i].X * scale;
            positions[3 * i + 1] = local[i].Y * scale;
            positions[3 * i + 2] = local[i].Z * scale;
        }
        var triangles = (int[])sphere.Triangles.Clone();
        var normals = HeadMesh.ComputeVertexNormals(positions, triangles);

        var colors = new byte[n * 3];
        Parallel.For(0, n, i =>
        {
            var p = local[i];
            var normal = new Vector3(normals[3 * i], normals[3 * i + 1], normals[3 * i + 2]);
            shape.Field(p, out var parts);
            var c = HeadPainter.Paint(shape, p, normal, parts, Occlusion(shape, p, normal));
            colors[3 * i] = HeadTraits.ToByte(c.X);
            colors[3 * i + 1] = HeadTraits.ToByte(c.Y);
            colors[3 * i + 2] = HeadTraits.ToByte(c.Z);
        });
        return new HeadMesh(positions, colors, triangles, normals);
    }

    /// <summary>Distance along <paramref name="dir"/> from the ray origin to the outermost surface crossing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Exit(HeadShape shape, Vector3 dir)
    {
        // Sphere-trace inward from outside; the field is not an exact distance (blends, hair), so steps are
        // shortened and an overshoot into the inside is resolved by bisection.
        float t = RayStart, tOut = t, fOut = float.MaxValue;
        for (int i = 0; i < 200; i++)
        {
            float f = shape.Distance(RayOrigin + dir * t);
            if (f < 0f)
            {
                // Regula falsi between the last outside and this inside sample, guarded by bisection.
                float tIn = t, fIn = f;
                for (int b = 0; b < 12 && tOut - tIn > 1e-5f; b++)
                {
                    float mid = fOut < float.MaxValue ? tIn + (tOut - tIn) * (-fIn / (fOut - fIn)) : 0.5f * (tIn + tOut);
                    if (!(mid > tIn + 0.05f * (tOut - tIn) && mid < tOut - 0.05f * (tOut - tIn))) mid = 0.5f * (tIn + tOut);
                    float fm = shape.Distance(RayOrigin + dir * mid);
                    if (fm < 0f) { tIn = mid; fIn = fm; } else { tOut = mid; fOut = fm; }
                    if (MathF.Abs(fm) < 5e-5f) return mid;
                }
                return 0.5f * (tIn + tOut);
            }
            if (f < 2e-4f) return t;
            tOut = t;
            fOut = f;
            t -= MathF.Max(f * 0.85f, 0.004f);
        }
        return t;
    }

    /// <summary>Ambient occlusion from the field: how much closer than expected the surface is along the normal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Occlusion(HeadShape shape, Vector3 p, Vector3 normal)
    {
        float occ = 0f, w = 1f;
        for (int i = 1; i <= 4; i++)
        {
            float h = 0.022f * i;
            occ += (h - shape.Distance(p + normal * h)) * w;
            w *= 0.6f;
        }
        return Math.Clamp(1f - 5f * occ, 0f, 1f);
    }
}
