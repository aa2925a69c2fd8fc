using System.Globalization;
using Heads.Core.Geometry;
using Heads.Core.Models;
using Heads.Core.Synthetic;

namespace Heads.Core.Rendering;

/// <summary>One held-out head of a FaceNet gallery: the 32×32 face, its true 32³ volume and the model's prediction.</summary>
public sealed record GalleryHead(byte[] Face, byte[] TrueVolume, byte[] PredictedVolume, string? Caption = null);

/// <summary>
/// Pictures of a trained model, as PNG bytes: a gallery of held-out heads (photo, true head, predicted head), a gallery
/// of HeadsNet seeds and the loss curves. Same input, same bytes: no clock, randomness or threads reach the pixels.
/// </summary>
public static class ModelPictures
{
    public const int FaceSide = 32;
    public const int VolumeSide = VoxelVolume.DefaultSize;
    public const int MinTile = 48;
    public const int MaxTile = 320;
    public const int MaxHeads = 64;

    /// <summary>A voxel counts when at least this: the trainer's post-processing zeroes values below 1.</summary>
    public const byte SurfaceThreshold = 1;

    private const int Gap = 4;
    private const int HeaderHeight = 20;
    private const int CaptionHeight = 13;
    private const float FrontYaw = 0f, ThreeQuarterYaw = 40f, SideYaw = 90f;

    private static readonly (byte R, byte G, byte B) Paper = (246, 246, 244);
    private static readonly (byte R, byte G, byte B) Ink = (34, 36, 40);
    private static readonly (byte R, byte G, byte B) FaintInk = (120, 124, 130);
    private static readonly (byte R, byte G, byte B) EmptyTile = (226, 222, 218);
    private static readonly (byte R, byte G, byte B) EmptyInk = (150, 60, 50);

    private static readonly string[] VolumeColumns = ["photo", "true front", "true 3/4", "predicted front", "predicted 3/4"];

    /// <summary>
    /// One row per head: the face upscaled to <paramref name="tile"/>, then the true and the predicted volume's surface
    /// (marching cubes at <see cref="SurfaceThreshold"/>) from the front and at three quarters, under a header naming the
    /// columns, each row's caption beneath it. Both volumes are drawn in the voxel grid's own frame, so a prediction
    /// that is too small or shifted looks it. A prediction with no voxel above the threshold draws a labelled empty tile.
    /// </summary>
    public static byte[] VolumeGallery(IReadOnlyList<GalleryHead> heads, int tile = 160)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ValidateTile(tile);
        if (heads.Count > MaxHeads) throw new ArgumentOutOfRangeException(nameof(heads), heads.Count, $"A gallery shows at most {MaxHeads} heads; {heads.Count} were given.");
        for (int i = 0; i < heads.Count; i++)
        {
            var head = heads[i] ?? throw new ArgumentException($"heads[{i}] is null.", nameof(heads));
            CheckLength(head.Face, FaceSide * FaceSide, $"heads[{i}].Face", "a 32×32 grayscale face");
            CheckLength(head.TrueVolume, VolumeSide * VolumeSide * VolumeSide, $"heads[{i}].TrueVolume", "a 32³ volume");
            CheckLength(head.PredictedVolume, VolumeSide * VolumeSide * VolumeSide, $"heads[{i}].PredictedVolume", "a 32³ volume");
        }

        int columns = VolumeColumns.Length;
        int rowHeight = tile + CaptionHeight + Gap;
        int width = Gap + columns * (tile + Gap);
        int height = HeaderHeight + Math.Max(1, heads.Count) * rowHeight + Gap;
        var canvas = new RgbCanvas(width, height, Paper);
        for (int c = 0; c < columns; c++)
            canvas.CentredText(VolumeColumns[c], ColumnLeft(c, tile) + tile / 2, (HeaderHeight - PixelFont.GlyphHeight) / 2, Ink, tile);
        if (heads.Count == 0)
            canvas.CentredText("no held-out heads", width / 2, HeaderHeight + tile / 2, FaintInk, width - 2 * Gap);

        for (int i = 0; i < heads.Count; i++)
        {
            var head = heads[i];
            int top = HeaderHeight + i * rowHeight;
            canvas.Paste(UpscaledFace(head.Face, tile), tile, tile, ColumnLeft(0, tile), top);
            DrawVolume(canvas, head.TrueVolume, tile, ColumnLeft(1, tile), top, "true");
            DrawVolume(canvas, head.PredictedVolume, tile, ColumnLeft(3, tile), top, "predicted");
            if (!string.IsNullOrEmpty(head.Caption))
                canvas.Text(head.Caption, ColumnLeft(0, tile), top + tile + 3, Ink, 1, width - Gap);
        }
        return canvas.ToPng();
    }

    /// <summary>HeadsNet heads in a grid, each seen from the front and the side, captioned with its seed.</summary>
    public static byte[] SeedGallery(IReadOnlyList<(float Seed, HeadPointCloud Head)> heads, int tile = 160)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ValidateTile(tile);
        if (heads.Count > MaxHeads) throw new ArgumentOutOfRangeException(nameof(heads), heads.Count, $"A gallery shows at most {MaxHeads} heads; {heads.Count} were given.");
        for (int i = 0; i < heads.Count; i++)
        {
            var cloud = heads[i].Head ?? throw new ArgumentException($"heads[{i}].Head is null.", nameof(heads));
            if (cloud.Positions is null || cloud.Colors is null || cloud.Positions.Length % 3 != 0 || cloud.Colors.Length != cloud.Positions.Length)
                throw new ArgumentException($"heads[{i}].Head must hold x, y, z positions and one r, g, b colour per point.", nameof(heads));
        }

        const int CellsPerRow = 4;
        int cellsAcross = Math.Clamp(heads.Count, 1, CellsPerRow);
        int rows = Math.Max(1, (heads.Count + CellsPerRow - 1) / CellsPerRow);
        int cellWidth = 2 * tile + Gap;
        int rowHeight = tile + CaptionHeight + Gap;
        int width = Gap + cellsAcross * (cellWidth + 3 * Gap);
        int height = HeaderHeight + rows * rowHeight + Gap;
        var canvas = new RgbCanvas(width, height, Paper);
        canvas.Text("HeadsNet heads by seed: front, side", Gap, (HeaderHeight - PixelFont.GlyphHeight) / 2, Ink, 1, width - Gap);
        if (heads.Count == 0)
            canvas.CentredText("no heads", width / 2, HeaderHeight + tile / 2, FaintInk, width - 2 * Gap);

        for (int i = 0; i < heads.Count; i++)
        {
            var (seed, cloud) = heads[i];
            int left = Gap + (i % CellsPerRow) * (cellWidth + 3 * Gap);
            int top = HeaderHeight + (i / CellsPerRow) * rowHeight;
            if (cloud.Count == 0)
            {
                canvas.Fill(left, top, cellWidth, tile, EmptyTile);
                canvas.CentredText("no points", left + cellWidth / 2, top + tile / 2 - 3, EmptyInk, cellWidth);
            }
            else
            {
                var normalised = new HeadPointCloud(Scene.Normalised(cloud.Positions), cloud.Colors);
                canvas.Paste(HeadViews.RenderPoints(normalised, View(tile, FrontYaw)), tile, tile, left, top);
                canvas.Paste(HeadViews.RenderPoints(normalised, View(tile, SideYaw)), tile, tile, left + tile + Gap, top);
            }
            canvas.Text(string.Create(CultureInfo.InvariantCulture, $"seed {seed:0.####}"), left, top + tile + 3, Ink, 1, left + cellWidth);
        }
        return canvas.ToPng();
    }

    /// <summary>
    /// Loss per epoch, training and (when given) held-out, as a line chart with a title, axes, tick labels and a
    /// legend. The y axis is logarithmic when the finite positive values span more than 10×. NaN and infinite values
    /// leave a gap; an empty chart says so.
    /// </summary>
    public static byte[] LossCurves(IReadOnlyList<double> training, IReadOnlyList<double>? heldOut, string title, int width = 640, int height = 360)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(title);
        if (width is < 200 or > 4096) throw new ArgumentOutOfRangeException(nameof(width), width, "The chart's width must be within 200..4096 pixels.");
        if (height is < 120 or > 4096) throw new ArgumentOutOfRangeException(nameof(height), height, "The chart's height must be within 120..4096 pixels.");
        return LossChart.Draw(training, heldOut ?? [], title, width, height);
    }

    private static int ColumnLeft(int column, int tile) => Gap + column * (tile + Gap);

    private static void ValidateTile(int tile)
    {
        if (tile is < MinTile or > MaxTile) throw new ArgumentOutOfRangeException(nameof(tile), tile, $"The tile size must be within {MinTile}..{MaxTile} pixels.");
    }

    private static void CheckLength(byte[]? data, int expected, string name, string what)
    {
        if (data is null) throw new ArgumentException($"{name} is null.", nameof(data));
        if (data.Length != expected) throw new ArgumentException($"{name} must be {what} ({expected} bytes); it has {data.Length}.", name);
    }

    private static RenderSettings View(int tile, float yaw) =>
        new() { Width = tile, Height = tile, YawDegrees = yaw, Supersampling = 2, TargetY = 0f };

    /// <summary>Nearest-neighbour upscaling keeps the 32×32 input's pixels visible: that is what the model saw.</summary>
    private static byte[] UpscaledFace(byte[] face, int tile)
    {
        var pixels = new byte[tile * tile * 3];
        for (int y = 0; y < tile; y++)
        for (int x = 0; x < tile; x++)
        {
            byte g = face[(y * FaceSide / tile) * FaceSide + x * FaceSide / tile];
            int o = (y * tile + x) * 3;
            pixels[o] = pixels[o + 1] = pixels[o + 2] = g;
        }
        return pixels;
    }

    /// <summary>The volume's surface in two tiles (front, three quarters) from <paramref name="left"/>, or one empty, labelled double tile.</summary>
    private static void DrawVolume(RgbCanvas canvas, byte[] volume, int tile, int left, int top, string what)
    {
        if (HeadViews.TryVolumeSurface(new VoxelVolume(volume, VolumeSide), SurfaceThreshold) is not Scene.Mesh surface)
        {
            int span = 2 * tile + Gap;
            canvas.Fill(left, top, span, tile, EmptyTile);
            canvas.CentredText($"empty {what} volume", left + span / 2, top + tile / 2 - 10, EmptyInk, span - 2 * Gap);
            canvas.CentredText($"no voxel >= {SurfaceThreshold}", left + span / 2, top + tile / 2 + 4, EmptyInk, span - 2 * Gap);
            return;
        }
        // The grid spans -1..1; 0.9 leaves a margin in the camera's view, the same for true and predicted heads.
        var positions = surface.Value.Positions.Select(p => p * 0.9f).ToArray();
        var mesh = new HeadMesh(positions, surface.Value.Colors, surface.Value.Triangles);
        canvas.Paste(HeadRenderer.RenderPixels(mesh, View(tile, FrontYaw)), tile, tile, left, top);
        canvas.Paste(HeadRenderer.RenderPixels(mesh, View(tile, ThreeQuarterYaw)), tile, tile, left + tile + Gap, top);
    }
}
