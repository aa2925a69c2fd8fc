using Heads.Core.Geometry;
using Heads.Core.Imaging;
using Heads.Core.Models;
using Heads.Core.Rendering;
using Heads.Core.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Core.Tests;

/// <summary>
/// The model pictures from synthetic heads (true volumes from the voxeliser, a noisy copy as the "prediction").
/// Set HEADS_PICTURES_EXAMPLES to a folder to keep one PNG of each kind there for a look.
/// </summary>
public class ModelPicturesTests
{
    private const int Tile = 96;
    private static readonly Lazy<IReadOnlyList<(byte[] Face, byte[] Volume, HeadMesh Mesh)>> Heads = new(() =>
    {
        var generator = new HeadGenerator(24);
        return [.. new ulong[] { 3, 11 }.Select(seed =>
        {
            var mesh = generator.Generate(seed);
            var face = FaceImage.Load(HeadRenderer.RenderJpeg(mesh));
            return (face, Voxelizer.Voxelize(mesh).Data, mesh);
        })];
    });

    [Fact]
    public void VolumeGalleryIsAPngOfOneRowPerHeadUnderAHeader()
    {
        var heads = GalleryHeads();
        var png = ModelPictures.VolumeGallery(heads, Tile);
        Keep("gallery.png", ModelPictures.VolumeGallery(heads));
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal(4 + 5 * (Tile + 4), image.Width);
        Assert.Equal(20 + heads.Count * (Tile + 13 + 4) + 4, image.Height);

        // Row 0: face, two true views, two predicted views, each with many colours (a drawn head); row 1's prediction is empty.
        for (int column = 0; column < 5; column++)
            Assert.True(DistinctColours(image, Left(column), 20, Tile) > 40, $"row 0, column {column} looks blank");
        int emptyColours = DistinctColours(image, Left(3), 20 + Tile + 17, Tile);
        Assert.True(emptyColours is > 1 and < 6, $"the empty prediction should be a flat tile with a label; it has {emptyColours} colours");
        Assert.True(InkPixels(image, Left(3), 20 + Tile + 17, 2 * Tile + 4, Tile, (150, 60, 50)) > 50, "the empty prediction has no label");
        // The caption under row 0 is drawn.
        Assert.True(InkPixels(image, Left(0), 20 + Tile + 3, 60, 8, (34, 36, 40)) > 20, "no caption under row 0");
    }

    [Fact]
    public void PicturesAreDeterministic()
    {
        var heads = GalleryHeads();
        Assert.Equal(ModelPictures.VolumeGallery(heads, Tile), ModelPictures.VolumeGallery(heads, Tile));
        Assert.Equal(ModelPictures.SeedGallery(SeedHeads(), Tile), ModelPictures.SeedGallery(SeedHeads(), Tile));
        double[] losses = [0.5, 0.2, 0.1, 0.05];
        Assert.Equal(ModelPictures.LossCurves(losses, [0.6, 0.3], "FaceNet3"), ModelPictures.LossCurves(losses, [0.6, 0.3], "FaceNet3"));
        // And different input, different pictures.
        Assert.NotEqual(ModelPictures.LossCurves(losses, null, "FaceNet3"), ModelPictures.LossCurves(losses, [0.6, 0.3], "FaceNet3"));
    }

    [Fact]
    public void SeedGalleryShowsFrontAndSideOfEachSeedWithItsSeed()
    {
        var heads = SeedHeads();
        var png = ModelPictures.SeedGallery(heads, Tile);
        Keep("seeds.png", ModelPictures.SeedGallery(heads));
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal(4 + heads.Count * (2 * Tile + 4 + 12), image.Width);
        Assert.Equal(20 + Tile + 13 + 4 + 4, image.Height);
        for (int cell = 0; cell < heads.Count; cell++)
        {
            int left = 4 + cell * (2 * Tile + 16);
            Assert.True(DistinctColours(image, left, 20, Tile) > 40, $"seed {cell}: front looks blank");
            Assert.True(DistinctColours(image, left + Tile + 4, 20, Tile) > 40, $"seed {cell}: side looks blank");
            Assert.True(InkPixels(image, left, 20 + Tile + 3, 80, 8, (34, 36, 40)) > 20, $"seed {cell}: no caption");
        }
    }

    [Fact]
    public void LossCurvesDrawBothSeriesOnALogAxisWhenTheySpanDecades()
    {
        double[] training = [.. Enumerable.Range(0, 30).Select(i => 0.5 * Math.Exp(-i / 5.0))];
        double[] heldOut = [.. training.Select(v => v * 1.3 + 0.002)];
        var png = ModelPictures.LossCurves(training, heldOut, "FaceNet3 on syn-64: loss");
        Keep("losses.png", png);
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal((640, 360), (image.Width, image.Height));
        Assert.True(InkPixels(image, 0, 0, 640, 360, (31, 119, 180)) > 200, "no training line");
        Assert.True(InkPixels(image, 0, 0, 640, 360, (230, 112, 20)) > 200, "no held-out line");
        Assert.True(InkPixels(image, 0, 0, 640, 26, (34, 36, 40)) > 100, "no title");
    }

    [Theory]
    [InlineData(new double[0])]
    [InlineData(new[] { 0.25 })]
    [InlineData(new[] { double.NaN, double.NaN })]
    [InlineData(new[] { 1.0, double.NaN, 0.5, double.PositiveInfinity, 0.25 })]
    [InlineData(new[] { 0.1, 0.1, 0.1 })]
    [InlineData(new[] { -1.0, 0.0, 2.0 })]
    [InlineData(new[] { 1e-9, 1e9 })]
    public void LossCurvesHandleEdgeCases(double[] training)
    {
        var png = ModelPictures.LossCurves(training, training.Length > 0 ? [training[0]] : null, "edge", 320, 200);
        Keep($"losses-edge-{string.Join('_', training.Select(v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}.png", png);
        using var image = Image.Load<Rgb24>(png);
        Assert.Equal((320, 200), (image.Width, image.Height));
        if (training.Any(double.IsFinite))
            Assert.True(InkPixels(image, 0, 0, 320, 200, (31, 119, 180)) > 10, "a finite value should leave a mark");
    }

    [Fact]
    public void EveryNamedCharacterHasItsOwnGlyphAndTextIsDrawn()
    {
        const string Required = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.%:-()/= <>";
        var seen = new HashSet<string>();
        foreach (char c in Required)
        {
            Assert.True(PixelFont.IsDefined(c), $"'{c}' has no glyph");
            var rows = PixelFont.Rows(c).ToArray();
            Assert.Equal(PixelFont.GlyphHeight, rows.Length);
            Assert.True(c == ' ' || rows.Any(r => r != 0), $"'{c}' is blank");
            Assert.True(seen.Add(Convert.ToHexString(rows)), $"'{c}' looks like another glyph");
        }
        Assert.Equal(PixelFont.Rows('?').ToArray(), PixelFont.Rows('§').ToArray());

        var rgb = new byte[40 * 9 * 3];
        PixelFont.Draw(rgb, 40, 9, "IoU 1", 1, 1, (255, 0, 0));
        // 'I' of the font: top row .###. at x 2..4.
        Assert.Equal(255, rgb[(1 * 40 + 2) * 3]);
        Assert.Equal(0, rgb[(1 * 40 + 1) * 3]);
        Assert.Equal(5 * 6 - 1, PixelFont.Measure("IoU 1"));
    }

    [Fact]
    public void SizesAndShapesAreCheckedAtTheEdge()
    {
        var good = GalleryHeads()[0];
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelPictures.VolumeGallery([good], tile: 8));
        Assert.Throws<ArgumentException>(() => ModelPictures.VolumeGallery([good with { Face = new byte[100] }]));
        Assert.Throws<ArgumentException>(() => ModelPictures.VolumeGallery([good with { PredictedVolume = new byte[32] }]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelPictures.VolumeGallery(Enumerable.Repeat(good, ModelPictures.MaxHeads + 1).ToList()));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelPictures.LossCurves([1.0], null, "t", width: 10));
        Assert.Throws<ArgumentException>(() => ModelPictures.SeedGallery([(0.5f, new HeadPointCloud(new float[4], new byte[4]))]));
        // An empty gallery is a picture that says so, not an error.
        using var empty = Image.Load<Rgb24>(ModelPictures.VolumeGallery([], Tile));
        Assert.Equal(4 + 5 * (Tile + 4), empty.Width);
    }

    private static List<GalleryHead> GalleryHeads()
    {
        var (faceA, volumeA, _) = Heads.Value[0];
        var (faceB, volumeB, _) = Heads.Value[1];
        return
        [
            new GalleryHead(faceA, volumeA, Noisy(volumeA, 7), "IoU 0.71 (mean head 0.52)"),
            new GalleryHead(faceB, volumeB, new byte[volumeB.Length], "IoU 0.00"),
        ];
    }

    private static List<(float, HeadPointCloud)> SeedHeads() =>
        [.. Heads.Value.Select((h, i) => (0.25f + 0.5f * i, new HeadPointCloud(h.Mesh.Positions, h.Mesh.Colors)))];

    /// <summary>A plausible bad prediction: the true head fainter, with voxels flipped on and off.</summary>
    private static byte[] Noisy(byte[] volume, ulong seed)
    {
        var random = new Random((int)seed);
        var output = new byte[volume.Length];
        for (int i = 0; i < volume.Length; i++)
        {
            int v = volume[i] > 0 ? volume[i] * 3 / 4 : 0;
            if (random.NextDouble() < 0.04) v = v > 0 ? 0 : 60;
            output[i] = (byte)v;
        }
        return output;
    }

    private static int Left(int column) => 4 + column * (Tile + 4);

    private static int DistinctColours(Image<Rgb24> image, int left, int top, int side)
    {
        var colours = new HashSet<Rgb24>();
        for (int y = top; y < top + side; y++)
        for (int x = left; x < left + side; x++)
            colours.Add(image[x, y]);
        return colours.Count;
    }

    private static int InkPixels(Image<Rgb24> image, int left, int top, int width, int height, (byte R, byte G, byte B) ink)
    {
        int count = 0;
        for (int y = top; y < Math.Min(image.Height, top + height); y++)
        for (int x = left; x < Math.Min(image.Width, left + width); x++)
            if (image[x, y] == new Rgb24(ink.R, ink.G, ink.B)) count++;
        return count;
    }

    private static void Keep(string name, byte[] png)
    {
        var folder = Environment.GetEnvironmentVariable("HEADS_PICTURES_EXAMPLES");
        if (string.IsNullOrEmpty(folder)) return;
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name), png);
    }
}
