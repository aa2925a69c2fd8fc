namespace Inference.Viewer.Tests;

/// <summary>One stand-in service and one browser for all viewer tests (a browser start costs about a second).</summary>
public sealed class ViewerFixture : IAsyncLifetime
{
    private HeadlessChromium? chromium;

    public FakeInferenceService Service { get; private set; } = null!;

    /// <summary>Why the browser tests cannot run here, or null when they can.</summary>
    public string? MissingBrowser { get; private set; }

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async ValueTask InitializeAsync()
    {
        Service = await FakeInferenceService.StartAsync();
        var executable = HeadlessChromium.FindExecutable();
        if (executable is null)
        {
            MissingBrowser = "Chromium is not installed (apt-get install chromium, or scripts/install-prerequisites.sh --tests; " +
                             "or point HEADS_CHROMIUM at a Chromium/Chrome binary).";
            return;
        }
        chromium = await HeadlessChromium.LaunchAsync(executable);
    }

    /// <summary>A fresh tab; skips the test where no browser exists, except on CI where that is a failure.</summary>
    public Task<ViewerTab> OpenTabAsync()
    {
        if (chromium is null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
            {
                Assert.Fail(MissingBrowser);
            }
            Assert.Skip(MissingBrowser!);
        }
        return chromium.OpenTabAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (chromium is not null)
        {
            await chromium.DisposeAsync();
        }
        await Service.DisposeAsync();
    }
}
