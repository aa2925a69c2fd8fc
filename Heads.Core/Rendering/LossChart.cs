using System.Globalization;

namespace Heads.Core.Rendering;

/// <summary>The line chart behind <see cref="ModelPictures.LossCurves"/>: epochs on x (1-based), loss on y.</summary>
internal static class LossChart
{
    private static readonly (byte R, byte G, byte B) Paper = (252, 252, 250);
    private static readonly (byte R, byte G, byte B) Ink = (34, 36, 40);
    private static readonly (byte R, byte G, byte B) Grid = (226, 228, 232);
    private static readonly (byte R, byte G, byte B) Axis = (90, 94, 100);
    private static readonly (byte R, byte G, byte B) TrainingColour = (31, 119, 180);
    private static readonly (byte R, byte G, byte B) HeldOutColour = (230, 112, 20);

    private const int Left = 64, Right = 14, Top = 44, Bottom = 32;

    public static byte[] Draw(IReadOnlyList<double> training, IReadOnlyList<double> heldOut, string title, int width, int height)
    {
        var canvas = new RgbCanvas(width, height, Paper);
        canvas.CentredText(title, width / 2, 8, Ink, width - 8, scale: 2);
        int plotLeft = Left, plotRight = width - Right, plotTop = Top, plotBottom = height - Bottom;

        var values = training.Concat(heldOut).Where(double.IsFinite).ToList();
        int epochs = Math.Max(training.Count, heldOut.Count);
        if (values.Count == 0)
        {
            Frame(canvas, plotLeft, plotTop, plotRight, plotBottom);
            canvas.CentredText("no losses recorded", (plotLeft + plotRight) / 2, (plotTop + plotBottom) / 2 - 3, Axis, plotRight - plotLeft);
            return canvas.ToPng();
        }

        double min = values.Min(), max = values.Max();
        bool logarithmic = min > 0 && max / min > 10;
        Func<double, double> scale = logarithmic ? Math.Log10 : v => v;
        double low, high;
        IReadOnlyList<(double Value, string Label)> ticks;
        if (logarithmic)
        {
            low = Math.Floor(Math.Log10(min));
            high = Math.Ceiling(Math.Log10(max));
            // Every decade while the labels fit (one per 16 px), else every second, third… decade.
            int decades = (int)(high - low);
            int stride = Math.Max(1, (int)Math.Ceiling(decades / Math.Max(1.0, (height - Top - Bottom) / 16.0)));
            ticks = Enumerable.Range(0, decades / stride + 1).Select(i => (int)low + i * stride)
                .Select(k => ((double)k, string.Create(CultureInfo.InvariantCulture, $"1e{k}"))).ToList();
        }
        else
        {
            if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
            {
                // A flat line: give it room above and below.
                double pad = Math.Abs(max) > 0 ? Math.Abs(max) * 0.1 : 1;
                min -= pad;
                max += pad;
            }
            double step = NiceStep((max - min) / 5);
            low = Math.Floor(min / step) * step;
            high = Math.Ceiling(max / step) * step;
            int decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step)), 0, 10);
            var list = new List<(double, string)>();
            for (int k = 0; low + k * step <= high + step * 1e-9 && k <= 20; k++)
            {
                double v = low + k * step;
                list.Add((v, Math.Round(v, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture)));
            }
            ticks = list;
        }

        int Y(double value) => plotBottom - (int)Math.Round((scale(value) - low) / (high - low) * (plotBottom - plotTop));
        int YScaled(double scaled) => plotBottom - (int)Math.Round((scaled - low) / (high - low) * (plotBottom - plotTop));
        // Epoch 1 at the left edge, the last at the right; one epoch sits in the middle.
        int X(int epoch) => epochs <= 1 ? (plotLeft + plotRight) / 2 : plotLeft + (int)Math.Round((double)(epoch - 1) / (epochs - 1) * (plotRight - plotLeft));

        foreach (var (value, label) in ticks)
        {
            int y = YScaled(value);
            canvas.Line(plotLeft, y, plotRight, y, Grid);
            canvas.Line(plotLeft - 4, y, plotLeft, y, Axis);
            canvas.Text(label, plotLeft - 7 - PixelFont.Measure(label), y - 3, Ink, 1);
        }
        foreach (int epoch in EpochTicks(epochs))
        {
            int x = X(epoch);
            canvas.Line(x, plotBottom, x, plotBottom + 4, Axis);
            var label = epoch.ToString(CultureInfo.InvariantCulture);
            canvas.Text(label, x - PixelFont.Measure(label) / 2, plotBottom + 7, Ink, 1);
        }
        Frame(canvas, plotLeft, plotTop, plotRight, plotBottom);
        canvas.Text("epoch", (plotLeft + plotRight) / 2 - PixelFont.Measure("epoch") / 2, height - 12, Axis, 1);
        canvas.Text(logarithmic ? "loss (log)" : "loss", 4, Top - 14, Axis, 1);

        Series(canvas, training, TrainingColour, X, Y);
        Series(canvas, heldOut, HeldOutColour, X, Y);

        // Legend above the plot, right-aligned, so it never hides a line.
        var entries = new List<(string, (byte, byte, byte))> { ("training", TrainingColour) };
        if (heldOut.Count > 0) entries.Add(("validation", HeldOutColour));
        int right = plotRight;
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            var (label, colour) = entries[i];
            right -= PixelFont.Measure(label);
            canvas.Text(label, right, Top - 14, Ink, 1);
            right -= 22;
            canvas.Line(right, Top - 11, right + 16, Top - 11, colour, 3);
            right -= 14;
        }
        return canvas.ToPng();
    }

    private static void Frame(RgbCanvas canvas, int left, int top, int right, int bottom)
    {
        canvas.Line(left, bottom, right, bottom, Axis);
        canvas.Line(left, top, left, bottom, Axis);
    }

    /// <summary>Lines between consecutive finite values, a dot on each when they are few (a single value still shows).</summary>
    private static void Series(RgbCanvas canvas, IReadOnlyList<double> values, (byte R, byte G, byte B) colour, Func<int, int> x, Func<double, int> y)
    {
        bool dots = values.Count <= 40;
        for (int i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i])) continue;
            int px = x(i + 1), py = y(values[i]);
            if (i > 0 && double.IsFinite(values[i - 1])) canvas.Line(x(i), y(values[i - 1]), px, py, colour, 2);
            if (dots || values.Count == 1) canvas.Fill(px - 2, py - 2, 5, 5, colour);
        }
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="rough"/>.</summary>
    private static double NiceStep(double rough)
    {
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / power;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
    }

    /// <summary>About six whole epochs, first and last included.</summary>
    private static IEnumerable<int> EpochTicks(int epochs)
    {
        if (epochs <= 0) yield break;
        int step = Math.Max(1, (int)NiceStep(Math.Max(1, epochs / 6.0)));
        yield return 1;
        for (int e = step; e < epochs; e += step)
            if (e > 1 && epochs - e >= step / 2.0) yield return e;
        if (epochs > 1) yield return epochs;
    }
}
