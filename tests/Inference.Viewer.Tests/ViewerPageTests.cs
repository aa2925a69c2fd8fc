using System.Globalization;
using System.Text.RegularExpressions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Viewer.Tests;

/// <summary>
/// The viewer page in headless Chromium against a stand-in service: what it sends, what it shows, and that the
/// 3D canvas really holds a drawing (screenshots decoded and measured, kept under bin/.../screenshots).
/// </summary>
public sealed partial class ViewerPageTests(ViewerFixture fixture) : IClassFixture<ViewerFixture>
{
    private static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(30);
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private FakeInferenceService Service => fixture.Service;

    private Uri Page(string query) => new(Service.BaseAddress, query);

    /// <summary>Opens the page and waits until it settles in <paramref name="expected"/> (idle, ready or error).</summary>
    private async Task<ViewerTab> OpenAsync(string query, string expected)
    {
        var tab = await fixture.OpenTabAsync();
        await tab.NavigateAsync(Page(query));
        // Without a demo the page rests in "idle"; a demo goes on to "ready" or "error".
        string[] final = expected == "idle" ? ["idle", "error"] : ["ready", "error"];
        var state = await tab.WaitForStateAsync(PageTimeout, final);
        if (state != expected)
        {
            var status = await tab.TextAsync("status");
            await tab.DisposeAsync();
            Assert.Fail($"The page at {query} ended '{state}', not '{expected}'. Status: '{status}'. Exceptions: {string.Join("; ", tab.Exceptions())}");
        }
        return tab;
    }

    private static async Task<CanvasPixels> ShootAsync(ViewerTab tab, string name)
    {
        await tab.SettleAsync();
        var png = await tab.ScreenshotAsync();
        Directory.CreateDirectory(ViewerFixture.ScreenshotDirectory);
        await File.WriteAllBytesAsync(Path.Combine(ViewerFixture.ScreenshotDirectory, name), png);
        var canvas = await tab.CanvasRectangleAsync();
        Assert.True(canvas.Width > 600 && canvas.Height > 500, $"The 3D view is only {canvas.Width}×{canvas.Height} px.");
        return CanvasPixels.Measure(png, canvas);
    }

    private static int Digits(string text) => int.Parse(DigitsOnly().Replace(text, ""), CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_fast_precision_is_asked_for_and_shown_in_the_caption()
    {
        var tab = await OpenAsync("?demo=random&seed=8&points=20000&precision=bf16", "ready");
        await using var _ = tab;
        var call = Assert.Single(Service.RandomHeads, c => c.Seed == "8");
        Assert.Equal("bf16", call.Precision);
        Assert.Equal("HeadsNet · seed 8 · 20,000 points · bf16", await tab.TextAsync("stage-caption"));
        Assert.Empty(tab.Exceptions());
    }

    [Fact]
    public async Task The_download_buttons_save_the_shown_head_and_the_shown_surface_in_the_chosen_format()
    {
        var tab = await OpenAsync("?demo=random&seed=9&points=20000", "ready");
        await using (tab)
        {
            Assert.Equal("false", (await tab.EvaluateAsync("String(document.getElementById('downloads').hidden)")).GetString());
            Assert.Equal("true", (await tab.EvaluateAsync("String(document.getElementById('download-obj').hidden)")).GetString());
            await tab.EvaluateAsync("document.getElementById('download-glb').click()");
            var saved = await DownloadedAsync(tab);
            Assert.StartsWith("headsnet-seed-9.glb ", saved);
            Assert.Contains(Service.RandomHeads, c => c.Seed == "9" && c.Format == "glb" && c.Points == "20000");
        }

        int before = Service.Predictions.Count;
        var face = await OpenAsync("?demo=predict-sample", "ready");
        await using (face)
        {
            Assert.Equal("false", (await face.EvaluateAsync("String(document.getElementById('download-obj').hidden)")).GetString());
            await face.EvaluateAsync("document.getElementById('download-obj').click()");
            Assert.EndsWith(".obj", (await DownloadedAsync(face)).Split(' ')[0]);
            Assert.Contains(Service.Predictions.Skip(before), c => c.Format == "obj");
            Assert.Empty(face.Exceptions());
        }
    }

    /// <summary>Waits for the page to record a saved file ("name bytes" in body[data-downloaded]).</summary>
    private static async Task<string> DownloadedAsync(ViewerTab tab)
    {
        var deadline = DateTime.UtcNow + PageTimeout;
        while (true)
        {
            var saved = (await tab.EvaluateAsync("document.body.dataset.downloaded || ''")).GetString() ?? "";
            if (saved.Length > 0) return saved;
            Assert.True(DateTime.UtcNow < deadline, "No file was saved: " + await tab.TextAsync("status"));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [GeneratedRegex("[^0-9]")]
    private static partial Regex DigitsOnly();

    [Fact]
    public async Task Random_head_demo_fetches_the_PLY_and_draws_coloured_points_from_the_service_alone()
    {
        var tab = await OpenAsync("?demo=random&seed=7&points=30000", "ready");
        await using var _ = tab;

        var call = Assert.Single(Service.RandomHeads, c => c.Seed == "7");
        Assert.Equal(("30000", "ply", "fp32"), (call.Points, call.Format, call.Precision));
        Assert.Equal("HeadsNet · seed 7 · 30,000 points", await tab.TextAsync("stage-caption"));

        var pixels = await ShootAsync(tab, "random-head.png");
        Assert.True(pixels.DrawnFraction > 0.10, $"Only {pixels.DrawnFraction:P1} of the canvas is drawn.");
        Assert.True(pixels.DistinctColours > 1000, $"Only {pixels.DistinctColours} colours in the point cloud.");
        Assert.True(pixels.MeanChroma > 40, $"The points look grey (mean chroma {pixels.MeanChroma:0.0}).");

        // Offline by construction: every request went to the service itself (or stayed in the page).
        var origin = Service.BaseAddress.GetLeftPart(UriPartial.Authority);
        var outside = tab.RequestedUrls().Where(u => !u.StartsWith(origin, StringComparison.Ordinal)
            && !u.StartsWith("data:", StringComparison.Ordinal) && !u.StartsWith("blob:", StringComparison.Ordinal)).ToArray();
        Assert.Empty(outside);
        Assert.Contains(tab.RequestedUrls(), u => u.EndsWith("/dist/viewer.js", StringComparison.Ordinal));
        Assert.Empty(tab.Exceptions());
    }

    [Fact]
    public async Task Predict_demo_posts_a_photo_to_the_newest_face_model_and_draws_the_volume_as_grey_cubes()
    {
        var before = Service.Predictions.Count;
        var tab = await OpenAsync("?demo=predict-sample", "ready");
        await using var _ = tab;

        var call = Assert.Single(Service.Predictions.Skip(before));
        Assert.Equal("facenet3", call.Model);
        Assert.Equal("json", call.Format);
        Assert.Equal("image", call.FieldName);
        Assert.Equal("image/png", call.ContentType);
        Assert.Equal(PngSignature, call.Photo.Take(8));
        using (var posted = Image.Load<L8>(call.Photo))
        {
            Assert.Equal((256, 256), (posted.Width, posted.Height));
        }

        Assert.StartsWith("facenet3 · 32³ volume · ", await tab.TextAsync("stage-caption"));
        var occupied = SyntheticHeads.BallVolume().Count(v => v > 0);
        Assert.Equal(occupied, Digits((await tab.TextAsync("stage-caption")).Split('·')[2]));

        // The 32×32 preview holds a picture, not a flat fill.
        var previewLevels = await tab.EvaluateAsync(
            "(() => { const c = document.getElementById('photo-preview'); const d = c.getContext('2d').getImageData(0, 0, 32, 32).data;" +
            " const s = new Set(); for (let i = 0; i < d.length; i += 4) s.add(d[i]); return [c.width, s.size]; })()");
        Assert.Equal(32, previewLevels[0].GetInt32());
        Assert.True(previewLevels[1].GetInt32() > 5, $"The preview has {previewLevels[1].GetInt32()} grey levels.");

        var pixels = await ShootAsync(tab, "predict-volume.png");
        Assert.True(pixels.DrawnFraction > 0.08, $"Only {pixels.DrawnFraction:P1} of the canvas is drawn.");
        Assert.True(pixels.DistinctColours > 30, $"Only {pixels.DistinctColours} colours among the cubes.");
        Assert.True(pixels.MeanChroma < 12, $"Cubes of a grayscale volume look coloured (mean chroma {pixels.MeanChroma:0.0}).");
        Assert.Empty(tab.Exceptions());
    }

    [Fact]
    public async Task Threshold_slider_hides_the_voxels_below_it_without_asking_the_service_again()
    {
        var tab = await OpenAsync("?demo=predict", "ready");
        await using var _ = tab;
        var predictions = Service.Predictions.Count;
        var volume = SyntheticHeads.BallVolume();

        Assert.Equal("48", await tab.TextAsync("threshold-value"));
        Assert.StartsWith($"{volume.Count(v => v >= 48):N0} of 32,768 voxels", await tab.TextAsync("volume-stats"), StringComparison.Ordinal);
        var low = await ShootAsync(tab, "threshold-48.png");

        await tab.EvaluateAsync(
            "(() => { const s = document.getElementById('threshold'); s.value = '200'; s.dispatchEvent(new Event('input')); })()");
        Assert.Equal("200", await tab.TextAsync("threshold-value"));
        var shown = volume.Count(v => v >= 200);
        Assert.InRange(shown, 1, volume.Count(v => v >= 48) / 3);
        Assert.StartsWith($"{shown:N0} of 32,768 voxels at or above 200", await tab.TextAsync("volume-stats"), StringComparison.Ordinal);
        var high = await ShootAsync(tab, "threshold-200.png");

        Assert.True(high.Drawn > 0, "Nothing is drawn at threshold 200.");
        Assert.True(high.Drawn < low.Drawn * 0.75, $"Raising the threshold left {high.Drawn} of {low.Drawn} drawn pixels.");
        Assert.Equal(predictions, Service.Predictions.Count);
        Assert.Empty(tab.Exceptions());
    }

    [Fact]
    public async Task A_sample_photo_is_offered_and_posted_unchanged()
    {
        byte[] sample;
        using (var image = new Image<Rgb24>(64, 48, new Rgb24(90, 70, 60)))
        {
            image[10, 10] = new Rgb24(250, 250, 250);
            using var stream = new MemoryStream();
            image.SaveAsPng(stream);
            sample = stream.ToArray();
        }
        Service.Samples["sample-1.png"] = sample;
        try
        {
            var before = Service.Predictions.Count;
            var tab = await OpenAsync("?demo=predict-sample&threshold=60", "ready");
            await using var _ = tab;

            Assert.Equal(1, (await tab.EvaluateAsync("document.querySelectorAll('#sample-list .sample').length")).GetInt32());
            Assert.False((await tab.EvaluateAsync("document.getElementById('samples').hidden")).GetBoolean());
            var call = Assert.Single(Service.Predictions.Skip(before));
            Assert.Equal("sample-1.png", call.FileName);
            Assert.Equal(sample, call.Photo);
            Assert.StartsWith("sample-1.png · 64×48", await tab.TextAsync("photo-name"), StringComparison.Ordinal);
            Assert.Equal("60", await tab.TextAsync("threshold-value"));
        }
        finally
        {
            Service.Samples.Clear();
        }
    }

    [Fact]
    public async Task A_dropped_photo_is_predicted_and_a_dropped_non_photo_is_refused_with_a_message()
    {
        var tab = await OpenAsync("", "idle");
        await using var _ = tab;
        var before = Service.Predictions.Count;

        await tab.EvaluateAsync(
            "(() => { const dt = new DataTransfer(); dt.items.add(new File(['hello'], 'notes.txt', { type: 'text/plain' }));" +
            " window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true })); })()");
        Assert.Equal("error", await tab.WaitForStateAsync(PageTimeout, "error", "ready"));
        Assert.Contains("notes.txt is not a JPEG, PNG, BMP, GIF or WebP photo", await tab.TextAsync("status"), StringComparison.Ordinal);
        Assert.Equal(before, Service.Predictions.Count);

        await tab.EvaluateAsync(
            "(async () => { const c = document.createElement('canvas'); c.width = 40; c.height = 30;" +
            " const g = c.getContext('2d'); g.fillStyle = '#c99'; g.fillRect(5, 5, 30, 20);" +
            " const blob = await new Promise(r => c.toBlob(r, 'image/png'));" +
            " const dt = new DataTransfer(); dt.items.add(new File([blob], 'dropped.png', { type: 'image/png' }));" +
            " window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true })); return true; })()");
        Assert.Equal("ready", await tab.WaitForStateAsync(PageTimeout, "ready", "error"));
        var call = Assert.Single(Service.Predictions.Skip(before));
        Assert.Equal(("dropped.png", "image/png", "facenet3"), (call.FileName, call.ContentType, call.Model));
        Assert.StartsWith("dropped.png · 40×30", await tab.TextAsync("photo-name"), StringComparison.Ordinal);
        Assert.Empty(tab.Exceptions());
    }

    [Fact]
    public async Task A_problem_from_the_service_is_shown_with_its_title_and_detail()
    {
        var tab = await OpenAsync($"?demo=predict&model={FakeInferenceService.BrokenModel}", "error");
        await using var _ = tab;

        Assert.Contains(Service.Predictions, c => c.Model == FakeInferenceService.BrokenModel);
        var status = await tab.TextAsync("status");
        Assert.Contains(FakeInferenceService.BrokenTitle, status, StringComparison.Ordinal);
        Assert.Contains(FakeInferenceService.BrokenDetail, status, StringComparison.Ordinal);
        Assert.Equal("status error", (await tab.EvaluateAsync("document.getElementById('status').className")).GetString());
        Assert.Equal("Nothing shown yet", await tab.TextAsync("stage-caption"));
        Assert.Empty(tab.Exceptions());
    }

    [Fact]
    public async Task Model_selector_lists_the_face_models_newest_first_with_held_out_quality()
    {
        var tab = await OpenAsync("", "idle");
        await using var _ = tab;

        var options = await tab.EvaluateAsync("[...document.getElementById('model').options].map(o => o.value)");
        Assert.Equal(["facenet3", "facenet1", "bare"], options.EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("facenet3", (await tab.EvaluateAsync("document.getElementById('model').value")).GetString());
        var quality = await tab.TextAsync("model-quality");
        Assert.Contains("Held-out IoU0.61 (mean head 0.42)", quality, StringComparison.Ordinal);
        Assert.Contains("Held-out MAE12.3 (mean head 15.1)", quality, StringComparison.Ordinal);
        Assert.Contains("headsnet", await tab.TextAsync("heads-model"), StringComparison.Ordinal);

        // A model without an evaluation (quality null, or no fields at all) says so instead of failing.
        foreach (var name in new[] { "facenet1", "bare" })
        {
            await tab.EvaluateAsync(
                $"(() => {{ const m = document.getElementById('model'); m.value = '{name}'; m.dispatchEvent(new Event('change')); }})()");
            Assert.Contains("No held-out evaluation", await tab.TextAsync("model-quality"), StringComparison.Ordinal);
        }
        Assert.Empty(tab.Exceptions());
        Assert.DoesNotContain(Service.Predictions, c => c.Model is "facenet1" or "bare");
    }

    [Fact]
    public async Task Pictures_panel_shows_the_default_models_gallery_and_notes_a_missing_loss_chart()
    {
        // The default face model (facenet3, job "job-3") has a gallery but no loss chart; facenet1 has a loss chart only.
        var gallery = Heads.Core.Rendering.ModelPictures.LossCurves([0.3, 0.2], null, "gallery stand-in", 300, 150);
        Service.Pictures["job-3/gallery.png"] = gallery;
        Service.Pictures["job-1/losses.png"] = Heads.Core.Rendering.ModelPictures.LossCurves([0.5, 0.4], [0.6], "facenet1", 240, 140);
        var tab = await OpenAsync("", "idle");
        await using var _ = tab;

        Assert.Equal("shown", await WaitForPictureAsync(tab, "gallery", "shown", "missing"));
        Assert.Equal(300, (await tab.EvaluateAsync("document.getElementById('gallery-image').naturalWidth")).GetInt32());
        Assert.False((await tab.EvaluateAsync("document.getElementById('gallery-figure').hidden")).GetBoolean());
        Assert.Equal("missing", await WaitForPictureAsync(tab, "losses", "shown", "missing"));
        Assert.True((await tab.EvaluateAsync("document.getElementById('losses-figure').hidden")).GetBoolean());
        Assert.Contains("No loss chart stored", await tab.TextAsync("losses-note"), StringComparison.Ordinal);
        Assert.Contains(tab.RequestedUrls(), u => u.EndsWith("/api/v1/models/job-3/gallery.png", StringComparison.Ordinal));
        Directory.CreateDirectory(ViewerFixture.ScreenshotDirectory);
        await File.WriteAllBytesAsync(Path.Combine(ViewerFixture.ScreenshotDirectory, "pictures-panel.png"), await tab.ScreenshotAsync(), TestContext.Current.CancellationToken);

        // Choosing another face model shows its pictures instead.
        await tab.EvaluateAsync("(() => { const m = document.getElementById('model'); m.value = 'facenet1'; m.dispatchEvent(new Event('change')); })()");
        Assert.Equal("shown", await WaitForPictureAsync(tab, "losses", "shown", "missing"));
        Assert.Equal("missing", await WaitForPictureAsync(tab, "gallery", "shown", "missing"));
        Assert.Equal("facenet1", (await tab.EvaluateAsync("document.getElementById('pictures-model').value")).GetString());
        Assert.Empty(tab.Exceptions());
    }

    private static async Task<string> WaitForPictureAsync(ViewerTab tab, string picture, params string[] states)
    {
        var deadline = DateTime.UtcNow + PageTimeout;
        while (true)
        {
            var state = (await tab.EvaluateAsync($"document.getElementById('{picture}-figure').dataset.state ?? ''")).GetString() ?? "";
            if (states.Contains(state)) return state;
            Assert.True(DateTime.UtcNow < deadline, $"The {picture} picture stayed '{state}'.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void Page_references_only_its_own_files()
    {
        var html = File.ReadAllText(Path.Combine(ViewerSite.WebRoot, "index.html"));
        var references = ResourceReference().Matches(html).Select(m => m.Groups[1].Value).ToArray();
        Assert.Contains("dist/viewer.js", references);
        Assert.Contains("dist/viewer.css", references);
        Assert.All(references, r => Assert.False(r.Contains("//", StringComparison.Ordinal), $"{r} is not a local file."));
        Assert.True(File.Exists(ViewerSite.RequireBundle()));
        Assert.True(File.Exists(Path.Combine(ViewerSite.WebRoot, "dist", "viewer.css")));
    }

    [GeneratedRegex("""(?:src|href)="([^"]*)""")]
    private static partial Regex ResourceReference();
}
