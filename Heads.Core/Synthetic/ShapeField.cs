using System.Numerics;
using System.Runtime.CompilerServices;

namespace Heads.Core.Synthetic;

/// <summary>Signed-distance primitives and blends (after Inigo Quilez) used to model heads.</summary>
internal static class ShapeField
{
    /// <summary>Approximate ellipsoid distance; <paramref name="inv"/> = 1/radii, <paramref name="inv2"/> = 1/radii².</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Ellipsoid(Vector3 p, Vector3 inv, Vector3 inv2, float minRadius)
    {
        float k0 = (p * inv).Length();
        float k1 = (p * inv2).Length();
        return k1 > 1e-12f ? k0 * (k0 - 1f) / k1 : -minRadius;
    }

    /// <summary>Capsule whose radius changes linearly from <paramref name="ra"/> at a to <paramref name="rb"/> at b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TaperedCapsule(Vector3 p, Vector3 a, Vector3 ab, float invAbLengthSquared, float ra, float rb)
    {
        var pa = p - a;
        float h = Math.Clamp(Vector3.Dot(pa, ab) * invAbLengthSquared, 0f, 1f);
        return (pa - ab * h).Length() - (ra + (rb - ra) * h);
    }

    /// <summary>Polynomial smooth minimum: a union whose crease is rounded over width k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SmoothMin(float a, float b, float k)
    {
        float h = MathF.Max(k - MathF.Abs(a - b), 0f) / k;
        return MathF.Min(a, b) - h * h * k * 0.25f;
    }

    /// <summary>Smooth maximum; <c>SmoothMax(a, -b, k)</c> carves b out of a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SmoothMax(float a, float b, float k) => -SmoothMin(-a, -b, k);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SmoothStep(float edge0, float edge1, float x)
    {
        float t = Math.Clamp((x - edge0) / (edge1 - edge0), 0f, 1f);
        return t * t * (3f - 2f * t);
    }

    /// <summary>Deterministic 3D value noise in [-1, 1] (integer hash at lattice points, smooth trilinear blend).</summary>
    public static float ValueNoise(Vector3 p, uint seed)
    {
        float fx = MathF.Floor(p.X), fy = MathF.Floor(p.Y), fz = MathF.Floor(p.Z);
        int ix = (int)fx, iy = (int)fy, iz = (int)fz;
        float tx = p.X - fx, ty = p.Y - fy, tz = p.Z - fz;
        tx = tx * tx * (3 - 2 * tx);
        ty = ty * ty * (3 - 2 * ty);
        tz = tz * tz * (3 - 2 * tz);
        float c000 = Lattice(ix, iy, iz, seed), c100 = Lattice(ix + 1, iy, iz, seed);
        float c010 = Lattice(ix, iy + 1, iz, seed), c110 = Lattice(ix + 1, iy + 1, iz, seed);
        float c001 = Lattice(ix, iy, iz + 1, seed), c101 = Lattice(ix + 1, iy, iz + 1, seed);
        float c011 = Lattice(ix, iy + 1, iz + 1, seed), c111 = Lattice(ix + 1, iy + 1, iz + 1, seed);
        float x00 = c000 + (c100 - c000) * tx, x10 = c010 + (c110 - c010) * tx;
        float x01 = c001 + (c101 - c001) * tx, x11 = c011 + (c111 - c011) * tx;
        float y0 = x00 + (x10 - x00) * ty, y1 = x01 + (x11 - x01) * ty;
        return y0 + (y1 - y0) * tz;
    }

    private static float Lattice(int x, int y, int z, uint seed)
    {
        uint h = seed ^ (uint)x * 0x8DA6B343u ^ (uint)y * 0xD8163841u ^ (uint)z * 0xCB1AB31Fu;
        h ^= h >> 16;
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        h ^= h >> 16;
        return (h >> 8) * (2f / (1 << 24)) - 1f;
    }
}
