using System.Numerics;
using System.Runtime.CompilerServices;
using Heads.Core.Geometry;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Core.Synthetic;

/// <summary>
/// How a head is photographed. The camera sits on +z looking at the head. <see cref="YawDegrees"/> turns the head
/// about y: 90 turns the face towards +x, so the camera sees the head's -x side (the person's right) in profile,
/// 180 shows the back. <see cref="PitchDegrees"/> tilts it about x. The light direction points from the head
/// towards the light, in camera space, so the light stays put as the head turns.
/// </summary>
public sealed record RenderSettings
{
    public int Width { get; init; } = 256;
    public int Height { get; init; } = 256;
    public float YawDegrees { get; init; }
    public float PitchDegrees { get; init; }
    public Vector3 LightDirection { get; init; } = Vector3.Normalize(new Vector3(-0.45f, 0.55f, 0.75f));
    public float Ambient { get; init; } = 0.36f;
    public float Diffuse { get; init; } = 0.68f;
    public Rgb24 BackgroundTop { get; init; } = new(206, 210, 216);
    public Rgb24 BackgroundBottom { get; init; } = new(146, 152, 162);
    public float FieldOfViewDegrees { get; init; } = 27f;
    public float CameraDistance { get; init; } = 4.2f;
    /// <summary>Height of the point the camera looks at.</summary>
    public float TargetY { get; init; } = -0.02f;
    /// <summary>Samples per pixel along each axis (box-filtered); 1 is fastest, 2 gives smooth edges.</summary>
    public int Supersampling { get; init; } = 1;

    /// <summary>
    /// These settings with a small seeded change of pose (yaw, pitch) and light direction, as between photographs.
    /// </summary>
    public RenderSettings Jittered(ulong seed, float maxYawDegrees = 8f, float maxPitchDegrees = 5f, float maxLightDegrees = 20f)
    {
        var r = new SplitMix64(SplitMix64.Mix(seed, 0x11647));
        float yaw = r.Range(-maxYawDegrees, maxYawDegrees);
        float pitch = r.Range(-maxPitchDegrees, maxPitchDegrees);
        float ly = r.Range(-maxLightDegrees, maxLightDegrees) * (MathF.PI / 180f);
        float lx = r.Range(-maxLightDegrees, maxLightDegrees) * (MathF.PI / 180f);
        var light = Vector3.Transform(LightDirection, Quaternion.CreateFromYawPitchRoll(ly, lx, 0f));
        return this with { YawDegrees = YawDegrees + yaw, PitchDegrees = PitchDegrees + pitch, LightDirection = Vector3.Normalize(light) };
    }

    internal void Validate()
    {
        if (Width is < 8 or > 8192) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Render width must be within 8..8192 pixels.");
        if (Height is < 8 or > 8192) throw new ArgumentOutOfRangeException(nameof(Height), Height, "Render height must be within 8..8192 pixels.");
        if (Supersampling is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(Supersampling), Supersampling, "Supersampling must be within 1..4.");
        if (!(FieldOfViewDegrees is > 1f and < 170f)) throw new ArgumentOutOfRangeException(nameof(FieldOfViewDegrees), FieldOfViewDegrees, "Field of view must be within 1..170 degrees.");
        if (!(CameraDistance > 1.5f)) throw new ArgumentOutOfRangeException(nameof(CameraDistance), CameraDistance, "The camera must stand outside the head (distance > 1.5).");
        if (!(LightDirection.LengthSquared() > 1e-6f)) throw new ArgumentException("Light direction must not be zero.", nameof(LightDirection));
    }
}

/// <summary>
/// Photographs a <see cref="HeadMesh"/>: perspective camera, z-buffered triangle rasterisation with
/// perspective-correct interpolation of lit vertex colours (Lambert plus ambient), over a vertical gradient.
/// Thread-safe: every call uses its own buffers.
/// </summary>
public static class HeadRenderer
{
    /// <summary>Renders the head into an RGB image of the configured size.</summary>
    public static Image<Rgb24> Render(HeadMesh mesh, RenderSettings? settings = null)
    {
        settings ??= new RenderSettings();
        var pixels = RenderPixels(mesh, settings);
        return Image.LoadPixelData<Rgb24>(pixels, settings.Width, settings.Height);
    }

    /// <summary>Renders and encodes as JPEG.</summary>
    public static byte[] RenderJpeg(HeadMesh mesh, RenderSettings? settings = null, int quality = 90)
    {
        if (quality is < 1 or > 100) throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality must be within 1..100.");
        using var image = Render(mesh, settings);
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = quality });
        return stream.ToArray();
    }

    /// <summary>Renders into interleaved RGB bytes, row-major from the top-left.</summary>
    public static byte[] RenderPixels(HeadMesh mesh, RenderSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        settings ??= new RenderSettings();
        settings.Validate();
        int ss = settings.Supersampling;
        int w = settings.Width * ss, h = settings.Height * ss;
        var color = new float[w * h * 3];
        var depth = new float[w * h]; // 1/z: larger is nearer, 0 is empty
        Rasterise(mesh, settings, w, h, color, depth);

        var output = new byte[settings.Width * settings.Height * 3];
        var top = HeadPainter.ToVector(settings.BackgroundTop);
        var bottom = HeadPainter.ToVector(settings.BackgroundBottom);
        float inv = 1f / (ss * ss);
        for (int y = 0; y < settings.Height; y++)
        {
            var bg = Vector3.Lerp(top, bottom, (y + 0.5f) / settings.Height);
            for (int x = 0; x < settings.Width; x++)
            {
                var sum = Vector3.Zero;
                for (int sy = 0; sy < ss; sy++)
                {
                    int row = (y * ss + sy) * w;
                    for (int sx = 0; sx < ss; sx++)
                    {
                        int k = row + x * ss + sx;
                        sum += depth[k] > 0f ? new Vector3(color[3 * k], color[3 * k + 1], color[3 * k + 2]) : bg;
                    }
                }
                sum *= inv;
                int o = (y * settings.Width + x) * 3;
                output[o] = HeadTraits.ToByte(sum.X);
                output[o + 1] = HeadTraits.ToByte(sum.Y);
                output[o + 2] = HeadTraits.ToByte(sum.Z);
            }
        }
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rasterise(HeadMesh mesh, RenderSettings s, int w, int h, float[] color, float[] depth)
    {
        var rotation = Matrix4x4.CreateRotationY(s.YawDegrees * (MathF.PI / 180f)) * Matrix4x4.CreateRotationX(s.PitchDegrees * (MathF.PI / 180f));
        var light = Vector3.Normalize(s.LightDirection);
        float focal = 0.5f * h / MathF.Tan(0.5f * s.FieldOfViewDegrees * (MathF.PI / 180f));
        float cx = 0.5f * w, cy = 0.5f * h;

        int n = mesh.VertexCount;
        var sx = new float[n];
        var sy = new float[n];
        var invZ = new float[n];
        var lit = new Vector3[n]; // lit colour divided by z, for perspective-correct interpolation
        var pos = mesh.Positions;
        var nor = mesh.Normals;
        var col = mesh.Colors;
        for (int i = 0; i < n; i++)
        {
            var p = Vector3.Transform(new Vector3(pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]), rotation);
            var nn = Vector3.TransformNormal(new Vector3(nor[3 * i], nor[3 * i + 1], nor[3 * i + 2]), rotation);
            float z = s.CameraDistance - p.Z;
            if (z < 1e-3f) throw new InvalidOperationException($"Vertex {i} lies at or behind the camera; move the camera further than {s.CameraDistance}.");
            float iz = 1f / z;
            sx[i] = cx + focal * p.X * iz;
            sy[i] = cy - focal * (p.Y - s.TargetY) * iz;
            invZ[i] = iz;
            float intensity = s.Ambient + s.Diffuse * MathF.Max(0f, Vector3.Dot(nn, light));
            lit[i] = new Vector3(col[3 * i], col[3 * i + 1], col[3 * i + 2]) * (intensity * iz);
        }

        var tri = mesh.Triangles;
        for (int f = 0; f < tri.Length; f += 3)
        {
            int a = tri[f], b = tri[f + 1], c = tri[f + 2];
            float ax = sx[a], ay = sy[a], bx = sx[b], by = sy[b], qx = sx[c], qy = sy[c];
            // Screen y points down, so a counter-clockwise (front-facing) triangle has negative signed area here.
            float area = (bx - ax) * (qy - ay) - (by - ay) * (qx - ax);
            if (area >= 0f) continue;
            int x0 = Math.Max(0, (int)MathF.Floor(MathF.Min(ax, MathF.Min(bx, qx))));
            int x1 = Math.Min(w - 1, (int)MathF.Ceiling(MathF.Max(ax, MathF.Max(bx, qx))));
            int y0 = Math.Max(0, (int)MathF.Floor(MathF.Min(ay, MathF.Min(by, qy))));
            int y1 = Math.Min(h - 1, (int)MathF.Ceiling(MathF.Max(ay, MathF.Max(by, qy))));
            if (x0 > x1 || y0 > y1) continue;
            float invArea = 1f / area;
            float za = invZ[a], zb = invZ[b], zc = invZ[c];
            Vector3 ca = lit[a], cb = lit[b], cc = lit[c];
            for (int y = y0; y <= y1; y++)
            {
                float py = y + 0.5f;
                for (int x = x0; x <= x1; x++)
                {
                    float px = x + 0.5f;
                    // Barycentric weights: each is the sub-triangle area opposite its vertex over the whole.
                    float wa = ((bx - px) * (qy - py) - (by - py) * (qx - px)) * invArea;
                    float wb = ((qx - px) * (ay - py) - (qy - py) * (ax - px)) * invArea;
                    float wc = 1f - wa - wb;
                    if (wa < 0f || wb < 0f || wc < 0f) continue;
                    float iz = wa * za + wb * zb + wc * zc;
                    int k = y * w + x;
                    if (iz <= depth[k]) continue;
                    depth[k] = iz;
                    var v = (ca * wa + cb * wb + cc * wc) / iz;
                    color[3 * k] = v.X;
                    color[3 * k + 1] = v.Y;
                    color[3 * k + 2] = v.Z;
                }
            }
        }
    }
}
