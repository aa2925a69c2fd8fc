using System.Numerics;
using Heads.Core.Geometry;
using Heads.Core.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Synthetic.Tests;

public class HeadRendererTests
{
    private static readonly HeadGenerator Coarse = new(32);
    private static readonly Lazy<HeadMesh> Head1 = new(() => Coarse.Generate(1));
    private static readonly Lazy<HeadMesh> Head2 = new(() => Coarse.Generate(2));

    [Fact]
    public void Image_has_the_configured_size()
    {
        using var image = HeadRenderer.Render(Head1.Value, new RenderSettings { Width = 300, Height = 200 });
        Assert.Equal(300, image.Width);
        Assert.Equal(200, image.Height);
        Assert.Equal(256 * 256 * 3, HeadRenderer.RenderPixels(Head1.Value).Length);
    }

    [Fact]
    public void Corners_show_the_background_and_the_centre_shows_the_face()
    {
        var s = new RenderSettings();
        var pixels = HeadRenderer.RenderPixels(Head1.Value, s);
        foreach (var (x, y) in new[] { (0, 0), (255, 0), (0, 255), (255, 255), (3, 128), (252, 128) })
            Assert.Equal(Background(s, y), Pixel(pixels, s.Width, x, y));
        var centre = Pixel(pixels, s.Width, 128, 128);
        Assert.NotEqual(Background(s, 128), centre);
        Assert.True(Foreground(pixels, s).Count(f => f) > 256 * 256 / 5, "the head covers a good part of the photo");
    }

    [Fact]
    public void Same_mesh_and_settings_render_identical_bytes()
    {
        var s = new RenderSettings().Jittered(99);
        Assert.Equal(HeadRenderer.RenderPixels(Head1.Value, s), HeadRenderer.RenderPixels(Head1.Value, s));
        Assert.Equal(s, new RenderSettings().Jittered(99));
    }

    [Fact]
    public void Different_heads_give_different_photos()
    {
        var a = HeadRenderer.RenderPixels(Head1.Value);
        var b = HeadRenderer.RenderPixels(Head2.Value);
        Assert.True(MeanAbsoluteDifference(a, b) > 5, $"mean difference {MeanAbsoluteDifference(a, b):0.0}");
    }

    [Fact]
    public void Jitter_changes_pose_and_light_a_little()
    {
        var plain = new RenderSettings();
        var j = plain.Jittered(5);
        Assert.NotEqual(plain, j);
        Assert.InRange(j.YawDegrees, -8f, 8f);
        Assert.InRange(j.PitchDegrees, -5f, 5f);
        Assert.InRange(Vector3.Dot(j.LightDirection, plain.LightDirection), MathF.Cos(30f * MathF.PI / 180f), 1.0001f);
        double d = MeanAbsoluteDifference(HeadRenderer.RenderPixels(Head1.Value, plain), HeadRenderer.RenderPixels(Head1.Value, j));
        Assert.InRange(d, 0.5, 40);
    }

    [Fact]
    public void Side_view_shows_a_deeper_silhouette_than_the_front()
    {
        var front = new RenderSettings();
        var side = new RenderSettings { YawDegrees = 90 };
        int frontWidth = SilhouetteWidth(HeadRenderer.RenderPixels(Head1.Value, front), front, 100);
        int sideWidth = SilhouetteWidth(HeadRenderer.RenderPixels(Head1.Value, side), side, 100);
        Assert.True(sideWidth > frontWidth, $"side {sideWidth}px, front {frontWidth}px");
    }

    [Fact]
    public void Supersampling_smooths_edges_but_keeps_size()
    {
        var s = new RenderSettings { Width = 128, Height = 128, Supersampling = 2 };
        var pixels = HeadRenderer.RenderPixels(Head1.Value, s);
        Assert.Equal(128 * 128 * 3, pixels.Length);
        Assert.NotEqual(Background(s, 64), Pixel(pixels, 128, 64, 64));
    }

    [Fact]
    public void Jpeg_bytes_decode_to_the_photo_size()
    {
        var jpeg = HeadRenderer.RenderJpeg(Head1.Value, new RenderSettings { Width = 320, Height = 256 });
        Assert.Equal(0xFF, jpeg[0]);
        Assert.Equal(0xD8, jpeg[1]);
        using var image = Image.Load<Rgb24>(jpeg);
        Assert.Equal(320, image.Width);
        Assert.Equal(256, image.Height);
    }

    [Fact]
    public void Invalid_settings_are_rejected_with_the_setting_named()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => HeadRenderer.RenderPixels(Head1.Value, new RenderSettings { Width = 0 }));
        Assert.Equal("Width", e.ParamName);
        var f = Assert.Throws<ArgumentOutOfRangeException>(() => HeadRenderer.RenderJpeg(Head1.Value, quality: 0));
        Assert.Equal("quality", f.ParamName);
    }

    /// <summary>
    /// A crude learnability check: what the photo shows must follow the mesh. Across 20 heads the silhouette width
    /// in the photo tracks the mesh width, and the silhouette at jaw height tracks the jaw width trait
    /// (for heads whose jaw is not hidden by long hair or a full beard).
    /// </summary>
    [Fact]
    public void Photo_silhouette_tracks_mesh_width_across_seeds()
    {
        var generator = new HeadGenerator(24);
        var s = new RenderSettings { Width = 128, Height = 128 };
        var meshWidth = new double[20];
        var photoWidth = new double[20];
        var jawTrait = new double[20];
        var jawPhoto = new double[20];
        var heads = HeadGeneratorTests.ShortHairedHeads(100).Take(20).ToList();
        for (int i = 0; i < 20; i++)
        {
            var traits = heads[i];
            var mesh = generator.Generate(traits);
            var (min, max) = HeadGeneratorTests.Bounds(mesh);
            meshWidth[i] = max[0] - min[0];
            var pixels = HeadRenderer.RenderPixels(mesh, s);
            photoWidth[i] = Enumerable.Range(0, s.Height).Max(y => SilhouetteWidth(pixels, s, y));
            jawTrait[i] = traits.JawWidth * traits.Scale;
            float jawY = (traits.EyeHeight - traits.FaceLength + 0.3f) * traits.Scale;
            jawPhoto[i] = SilhouetteWidth(pixels, s, RowOf(s, jawY, 0.5f));
        }
        double r = Statistics.Pearson(meshWidth, photoWidth);
        double rj = Statistics.Pearson(jawTrait, jawPhoto);
        TestContext.Current.SendDiagnosticMessage($"mesh width vs photo width r = {r:0.00}; jaw trait vs jaw silhouette r = {rj:0.00}");
        Assert.True(r > 0.75, $"mesh width vs photo width r = {r:0.00}");
        Assert.True(rj > 0.4, $"jaw width vs jaw silhouette r = {rj:0.00}");
    }

    private static int RowOf(RenderSettings s, float y, float z)
    {
        float focal = 0.5f * s.Height / MathF.Tan(0.5f * s.FieldOfViewDegrees * MathF.PI / 180f);
        return (int)(0.5f * s.Height - focal * (y - s.TargetY) / (s.CameraDistance - z));
    }

    internal static (byte, byte, byte) Background(RenderSettings s, int y)
    {
        float t = (y + 0.5f) / s.Height;
        byte L(byte a, byte b) => (byte)Math.Clamp((int)MathF.Round(a + (b - a) * t), 0, 255);
        return (L(s.BackgroundTop.R, s.BackgroundBottom.R), L(s.BackgroundTop.G, s.BackgroundBottom.G), L(s.BackgroundTop.B, s.BackgroundBottom.B));
    }

    internal static (byte, byte, byte) Pixel(byte[] pixels, int width, int x, int y)
    {
        int o = (y * width + x) * 3;
        return (pixels[o], pixels[o + 1], pixels[o + 2]);
    }

    internal static bool[] Foreground(byte[] pixels, RenderSettings s)
    {
        var mask = new bool[s.Width * s.Height];
        for (int y = 0; y < s.Height; y++)
        {
            var bg = Background(s, y);
            for (int x = 0; x < s.Width; x++) mask[y * s.Width + x] = Pixel(pixels, s.Width, x, y) != bg;
        }
        return mask;
    }

    internal static int SilhouetteWidth(byte[] pixels, RenderSettings s, int y)
    {
        var bg = Background(s, y);
        int lo = -1, hi = -1;
        for (int x = 0; x < s.Width; x++)
        {
            if (Pixel(pixels, s.Width, x, y) == bg) continue;
            if (lo < 0) lo = x;
            hi = x;
        }
        return lo < 0 ? 0 : hi - lo + 1;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return (double)sum / a.Length;
    }
}
