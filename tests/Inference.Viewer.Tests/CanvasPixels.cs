using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Viewer.Tests;

/// <summary>What a screenshot shows inside the 3D canvas, measured against the page's background colour.</summary>
public sealed record CanvasPixels(int Pixels, int Drawn, int DistinctColours, double MeanChroma)
{
    /// <summary>The viewport's clear colour, #1e1f22.</summary>
    public static readonly Rgb24 Background = new(0x1e, 0x1f, 0x22);

    public double DrawnFraction => Pixels == 0 ? 0 : (double)Drawn / Pixels;

    /// <summary>
    /// Counts pixels that differ from the background by more than a few levels (drawn), their distinct colours,
    /// and their mean chroma (max − min channel; near 0 for grey cubes, large for coloured points).
    /// The caption overlay in the bottom-left corner is left out.
    /// </summary>
    public static CanvasPixels Measure(byte[] png, PixelRectangle canvas)
    {
        using var image = Image.Load<Rgb24>(png);
        var left = Math.Clamp(canvas.X, 0, image.Width);
        var top = Math.Clamp(canvas.Y, 0, image.Height);
        var right = Math.Clamp(canvas.X + canvas.Width, 0, image.Width);
        var bottom = Math.Clamp(canvas.Y + canvas.Height - 48, 0, image.Height);
        int pixels = 0, drawn = 0;
        long chroma = 0;
        var colours = new HashSet<int>();
        image.ProcessPixelRows(rows =>
        {
            for (var y = top; y < bottom; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = left; x < right; x++)
                {
                    var p = row[x];
                    pixels++;
                    var distance = Math.Abs(p.R - Background.R) + Math.Abs(p.G - Background.G) + Math.Abs(p.B - Background.B);
                    if (distance <= 12)
                    {
                        continue;
                    }
                    drawn++;
                    colours.Add((p.R << 16) | (p.G << 8) | p.B);
                    chroma += Math.Max(p.R, Math.Max(p.G, p.B)) - Math.Min(p.R, Math.Min(p.G, p.B));
                }
            }
        });
        return new CanvasPixels(pixels, drawn, colours.Count, drawn == 0 ? 0 : (double)chroma / drawn);
    }
}
