using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Core.Synthetic;

/// <summary>Contact sheets of generated heads: one tile per (seed, yaw), laid out in rows.</summary>
public static class HeadGallery
{
    /// <summary>Front views of <paramref name="seeds"/>, <paramref name="columns"/> per row, written as PNG.</summary>
    public static void WriteFronts(string path, IReadOnlyList<ulong> seeds, int columns = 4, int tile = 256, HeadGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        using var image = Compose([.. seeds.Select(s => (s, 0f))], columns, tile, generator);
        image.SaveAsPng(path);
    }

    /// <summary>Each seed in a row, seen from each of <paramref name="yawDegrees"/>, written as PNG.</summary>
    public static void WriteAngles(string path, IReadOnlyList<ulong> seeds, IReadOnlyList<float> yawDegrees, int tile = 256, HeadGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(yawDegrees);
        using var image = Compose([.. seeds.SelectMany(s => yawDegrees.Select(y => (s, y)))], yawDegrees.Count, tile, generator);
        image.SaveAsPng(path);
    }

    public static Image<Rgb24> Compose(IReadOnlyList<(ulong Seed, float YawDegrees)> views, int columns, int tile, HeadGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (views.Count == 0) throw new ArgumentException("A gallery needs at least one view.", nameof(views));
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), columns, "A gallery needs at least one column.");
        if (tile is < 16 or > 2048) throw new ArgumentOutOfRangeException(nameof(tile), tile, "Tile size must be within 16..2048 pixels.");
        generator ??= new HeadGenerator();
        int rows = (views.Count + columns - 1) / columns;
        int width = columns * tile, height = rows * tile;
        var sheet = new byte[width * height * 3];
        var meshes = new Dictionary<ulong, Geometry.HeadMesh>();
        for (int v = 0; v < views.Count; v++)
        {
            var (seed, yaw) = views[v];
            if (!meshes.TryGetValue(seed, out var mesh)) meshes[seed] = mesh = generator.Generate(seed);
            var pixels = HeadRenderer.RenderPixels(mesh, new RenderSettings { Width = tile, Height = tile, YawDegrees = yaw, Supersampling = 2 });
            int ox = v % columns * tile, oy = v / columns * tile;
            for (int y = 0; y < tile; y++)
                Buffer.BlockCopy(pixels, y * tile * 3, sheet, ((oy + y) * width + ox) * 3, tile * 3);
        }
        return Image.LoadPixelData<Rgb24>(sheet, width, height);
    }
}
