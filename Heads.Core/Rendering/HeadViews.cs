using System.Numerics;
using Heads.Core.Geometry;
using Heads.Core.Models;
using Heads.Core.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Core.Rendering;

/// <summary>What can be looked at: a triangle mesh (drawn by the synthetic heads' rasteriser) or a coloured point cloud.</summary>
public abstract record Scene
{
    public sealed record Mesh(HeadMesh Value) : Scene;

    public sealed record Points(HeadPointCloud Value) : Scene;

    /// <summary>Centre of the bounding box and the largest half extent, over positions x, y, z.</summary>
    public static (Vector3 Centre, float HalfExtent) Bounds(ReadOnlySpan<float> positions)
    {
        if (positions.Length < 3) return (Vector3.Zero, 1f);
        var min = new Vector3(float.MaxValue);
        var max = new Vector3(float.MinValue);
        for (int i = 0; i < positions.Length; i += 3)
        {
            var p = new Vector3(positions[i], positions[i + 1], positions[i + 2]);
            min = Vector3.Min(min, p);
            max = Vector3.Max(max, p);
        }
        var half = (max - min) * 0.5f;
        return ((min + max) * 0.5f, MathF.Max(half.X, MathF.Max(half.Y, half.Z)));
    }

    /// <summary>Positions moved and scaled uniformly so the bounding box is centred with its largest half extent <paramref name="target"/>.</summary>
    public static float[] Normalised(ReadOnlySpan<float> positions, float target = 0.9f)
    {
        var (centre, half) = Bounds(positions);
        float scale = half > 1e-12f ? target / half : 1f;
        var output = new float[positions.Length];
        for (int i = 0; i < positions.Length; i += 3)
        {
            output[i] = (positions[i] - centre.X) * scale;
            output[i + 1] = (positions[i + 1] - centre.Y) * scale;
            output[i + 2] = (positions[i + 2] - centre.Z) * scale;
        }
        return output;
    }
}

/// <summary>
/// Pictures of a head from one or several yaw angles side by side, without a window: meshes and volumes (as their
/// marching-cubes surface) through <see cref="HeadRenderer"/>, point clouds as depth-tested, depth-shaded discs seen
/// by the same camera. Every scene is centred and scaled to the camera's view first, whatever its units.
/// </summary>
public static class HeadViews
{
    public static Image<Rgb24> Render(Scene scene, IReadOnlyList<float> yawDegrees, int tile, float pitchDegrees = 0f)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (yawDegrees.Count == 0) throw new ArgumentException("At least one view angle is needed.", nameof(yawDegrees));
        if (tile is < 16 or > 4096) throw new ArgumentOutOfRangeException(nameof(tile), tile, $"The view size must be within 16..4096 pixels; it was {tile}.");
        var normalised = scene switch
        {
            Scene.Mesh m => (Scene)new Scene.Mesh(new HeadMesh(Scene.Normalised(m.Value.Positions), m.Value.Colors, m.Value.Triangles, m.Value.Normals)),
            Scene.Points p => new Scene.Points(new HeadPointCloud(Scene.Normalised(p.Value.Positions), p.Value.Colors)),
            _ => throw new ArgumentOutOfRangeException(nameof(scene)),
        };
        int width = tile * yawDegrees.Count;
        var sheet = new byte[width * tile * 3];
        for (int v = 0; v < yawDegrees.Count; v++)
        {
            var settings = new RenderSettings { Width = tile, Height = tile, YawDegrees = yawDegrees[v], PitchDegrees = pitchDegrees, Supersampling = 2, TargetY = 0f };
            var pixels = normalised switch
            {
                Scene.Mesh m => HeadRenderer.RenderPixels(m.Value, settings),
                Scene.Points p => RenderPoints(p.Value, settings),
                _ => throw new ArgumentOutOfRangeException(nameof(scene)),
            };
            for (int y = 0; y < tile; y++)
                Buffer.BlockCopy(pixels, y * tile * 3, sheet, (y * width + v * tile) * 3, tile * 3);
        }
        return Image.LoadPixelData<Rgb24>(sheet, width, tile);
    }

    /// <summary>A volume's surface: marching cubes at <paramref name="threshold"/>, gray by voxel value.</summary>
    public static Scene VolumeSurface(VoxelVolume volume, byte threshold) =>
        TryVolumeSurface(volume, threshold) ?? throw new ArgumentException($"The volume has no voxel ≥ {threshold}: nothing to draw.", nameof(volume));

    /// <summary>As <see cref="VolumeSurface"/>, or null when no voxel reaches the threshold (a faint prediction is not an error to a gallery).</summary>
    public static Scene? TryVolumeSurface(VoxelVolume volume, byte threshold)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var mesh = MarchingCubes.Extract(volume, new MarchingCubesOptions { Threshold = threshold });
        if (mesh.TriangleCount == 0) return null;
        // Predicted volumes are often faint (values of a few units): stretch the surface's grays, 5th to 95th
        // percentile, over 90..235 so the shape shows while darker voxels stay darker.
        var colors = mesh.Colors;
        var sorted = colors.ToArray();
        Array.Sort(sorted);
        int low = sorted[sorted.Length / 20], high = sorted[sorted.Length * 19 / 20];
        var stretched = new byte[colors.Length];
        for (int i = 0; i < colors.Length; i++)
            stretched[i] = high > low ? (byte)(90 + 145 * Math.Clamp(colors[i] - low, 0, high - low) / (high - low)) : (byte)200;
        return new Scene.Mesh(new HeadMesh(mesh.Positions, stretched, mesh.Triangles, mesh.Normals));
    }

    /// <summary>
    /// Points as discs whose pixel radius follows perspective and the cloud's density (about the spacing of N points
    /// over a head's surface), nearest wins, darker with distance so the shape reads without normals.
    /// </summary>
    public static byte[] RenderPoints(HeadPointCloud cloud, RenderSettings s)
    {
        int w = s.Width, h = s.Height;
        var output = new byte[w * h * 3];
        var depth = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            float t = (y + 0.5f) / h;
            for (int x = 0; x < w; x++)
            {
                int o = (y * w + x) * 3;
                output[o] = Lerp(s.BackgroundTop.R, s.BackgroundBottom.R, t);
                output[o + 1] = Lerp(s.BackgroundTop.G, s.BackgroundBottom.G, t);
                output[o + 2] = Lerp(s.BackgroundTop.B, s.BackgroundBottom.B, t);
            }
        }
        var rotation = Matrix4x4.CreateRotationY(s.YawDegrees * (MathF.PI / 180f)) * Matrix4x4.CreateRotationX(s.PitchDegrees * (MathF.PI / 180f));
        float focal = 0.5f * h / MathF.Tan(0.5f * s.FieldOfViewDegrees * (MathF.PI / 180f));
        // A head's surface is about 4π·0.9² in these units; each point covers its share of it.
        float worldRadius = Math.Clamp(0.75f * MathF.Sqrt(10f / Math.Max(1, cloud.Count)), 0.004f, 0.08f);
        var p = cloud.Positions;
        var c = cloud.Colors;
        for (int i = 0; i < cloud.Count; i++)
        {
            var q = Vector3.Transform(new Vector3(p[3 * i], p[3 * i + 1], p[3 * i + 2]), rotation);
            float z = s.CameraDistance - q.Z;
            if (z < 1e-3f) continue;
            float iz = 1f / z;
            float sx = 0.5f * w + focal * q.X * iz, sy = 0.5f * h - focal * (q.Y - s.TargetY) * iz;
            float radius = MathF.Max(0.75f, focal * worldRadius * iz);
            float shade = Math.Clamp(0.55f + 0.45f * (q.Z + 1f) * 0.5f, 0.3f, 1f);
            byte r = (byte)(c[3 * i] * shade), g = (byte)(c[3 * i + 1] * shade), b = (byte)(c[3 * i + 2] * shade);
            int x0 = Math.Max(0, (int)MathF.Floor(sx - radius)), x1 = Math.Min(w - 1, (int)MathF.Ceiling(sx + radius));
            int y0 = Math.Max(0, (int)MathF.Floor(sy - radius)), y1 = Math.Min(h - 1, (int)MathF.Ceiling(sy + radius));
            float r2 = radius * radius;
            for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                float dx = x + 0.5f - sx, dy = y + 0.5f - sy;
                if (dx * dx + dy * dy > r2) continue;
                int k = y * w + x;
                if (iz <= depth[k]) continue;
                depth[k] = iz;
                output[3 * k] = r;
                output[3 * k + 1] = g;
                output[3 * k + 2] = b;
            }
        }
        return output;
    }

    private static byte Lerp(byte a, byte b, float t) => (byte)Math.Clamp(MathF.Round(a + (b - a) * t), 0, 255);
}
