using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Core.Rendering;

/// <summary>An RGB picture being composed (tiles, rectangles, lines, labels), encoded as PNG at the end.</summary>
internal sealed class RgbCanvas
{
    private static readonly PngEncoder Encoder = new() { ColorType = PngColorType.Rgb, BitDepth = PngBitDepth.Bit8 };

    public RgbCanvas(int width, int height, (byte R, byte G, byte B) background)
    {
        Width = width;
        Height = height;
        Pixels = new byte[checked(width * height * 3)];
        Fill(0, 0, width, height, background);
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    public void Fill(int x, int y, int width, int height, (byte R, byte G, byte B) color)
    {
        int x0 = Math.Max(0, x), y0 = Math.Max(0, y), x1 = Math.Min(Width, x + width), y1 = Math.Min(Height, y + height);
        for (int py = y0; py < y1; py++)
        for (int px = x0; px < x1; px++)
            Set(px, py, color);
    }

    public void Set(int x, int y, (byte R, byte G, byte B) color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int o = (y * Width + x) * 3;
        Pixels[o] = color.R;
        Pixels[o + 1] = color.G;
        Pixels[o + 2] = color.B;
    }

    /// <summary>Copies an RGB tile of <paramref name="width"/>×<paramref name="height"/> with its top-left corner at (x, y).</summary>
    public void Paste(ReadOnlySpan<byte> tile, int width, int height, int x, int y)
    {
        for (int row = 0; row < height; row++)
        {
            int py = y + row;
            if ((uint)py >= (uint)Height) continue;
            int first = Math.Max(0, -x), last = Math.Min(width, Width - x);
            if (last <= first) return;
            tile.Slice((row * width + first) * 3, (last - first) * 3).CopyTo(Pixels.AsSpan(((py * Width) + x + first) * 3));
        }
    }

    /// <summary>A line <paramref name="thickness"/> pixels wide (Bresenham, widened by whole pixels).</summary>
    public void Line(int x0, int y0, int x1, int y1, (byte R, byte G, byte B) color, int thickness = 1)
    {
        int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, error = dx + dy;
        int before = (thickness - 1) / 2;
        while (true)
        {
            for (int t = 0; t < thickness; t++)
            {
                if (dx >= -dy) Set(x0, y0 - before + t, color);
                else Set(x0 - before + t, y0, color);
            }
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * error;
            if (e2 >= dy) { error += dy; x0 += sx; }
            if (e2 <= dx) { error += dx; y0 += sy; }
        }
    }

    public void Text(string text, int x, int y, (byte R, byte G, byte B) color, int scale = 1, int clipRight = int.MaxValue) =>
        PixelFont.Draw(Pixels, Width, Height, text, x, y, color, scale, clipRight);

    /// <summary>Text centred on <paramref name="centreX"/>, shrunk from <paramref name="scale"/> towards 1 until it fits <paramref name="maxWidth"/>.</summary>
    public void CentredText(string text, int centreX, int y, (byte R, byte G, byte B) color, int maxWidth, int scale = 1)
    {
        while (scale > 1 && PixelFont.Measure(text, scale) > maxWidth) scale--;
        int width = Math.Min(PixelFont.Measure(text, scale), maxWidth);
        int left = centreX - width / 2;
        Text(text, left, y, color, scale, left + maxWidth);
    }

    public byte[] ToPng()
    {
        using var image = Image.LoadPixelData<Rgb24>(Pixels, Width, Height);
        using var output = new MemoryStream();
        image.SaveAsPng(output, Encoder);
        return output.ToArray();
    }
}
