using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Inference.Viewer.Tests;

/// <summary>
/// Debian's Chromium, headless, with WebGL on SwiftShader (the CPU renderer: no GPU or display needed),
/// driven over the DevTools protocol so a test waits for the page's own "drawn" signal instead of guessing a time.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const int Width = 1200;
    public const int Height = 800;
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly Process process;
    private readonly string profileDirectory;
    private readonly DevToolsConnection browser;
    private readonly int port;
    private readonly StringBuilder log;

    private HeadlessChromium(Process process, string profileDirectory, DevToolsConnection browser, int port, StringBuilder log)
    {
        this.process = process;
        this.profileDirectory = profileDirectory;
        this.browser = browser;
        this.port = port;
        this.log = log;
    }

    /// <summary>The browser executable: $HEADS_CHROMIUM, else the usual Linux install paths; null when none.</summary>
    public static string? FindExecutable()
    {
        var configured = Environment.GetEnvironmentVariable("HEADS_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : throw new FileNotFoundException($"HEADS_CHROMIUM={configured} does not exist.");
        }
        string[] candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];
        return candidates.FirstOrDefault(File.Exists);
    }

    public static async Task<HeadlessChromium> LaunchAsync(string executable)
    {
        var profile = Directory.CreateTempSubdirectory("heads-viewer-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            // WebGL without a GPU: ANGLE on SwiftShader, which Chromium only allows when asked explicitly.
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--lang=en-US",
            "--hide-scrollbars",
            $"--window-size={Width},{Height}",
            $"--user-data-dir={profile}",
            // Port 0: Chromium picks a free loopback port and writes it to DevToolsActivePort.
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["LANG"] = "en_US.UTF-8";

        var log = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var (port, browserPath) = await ReadDevToolsPortAsync(profile, process, log);
            var browser = await DevToolsConnection.OpenAsync(new Uri($"ws://127.0.0.1:{port}{browserPath}"), CancellationToken.None);
            return new HeadlessChromium(process, profile, browser, port, log);
        }
        catch
        {
            Stop(process);
            TryDelete(profile);
            throw;
        }
    }

    private static async Task<(int Port, string Path)> ReadDevToolsPortAsync(string profile, Process process, StringBuilder log)
    {
        var file = Path.Combine(profile, "DevToolsActivePort");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Chromium exited with code {process.ExitCode} before DevTools opened:\n{Tail(log)}");
            }
            if (File.Exists(file))
            {
                var lines = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).ToArray();
                if (lines.Length >= 2 && int.TryParse(lines[0], out var port))
                {
                    return (port, lines[1]);
                }
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"Chromium did not open DevTools within 20 s:\n{Tail(log)}");
    }

    /// <summary>A new tab of the given size, with page, runtime and network events recorded.</summary>
    public async Task<ViewerTab> OpenTabAsync()
    {
        var created = await browser.SendAsync("Target.createTarget", new { url = "about:blank" }, CommandTimeout);
        var targetId = created.GetProperty("targetId").GetString()!;
        var connection = await DevToolsConnection.OpenAsync(new Uri($"ws://127.0.0.1:{port}/devtools/page/{targetId}"), CancellationToken.None);
        await connection.SendAsync("Emulation.setDeviceMetricsOverride",
            new { width = Width, height = Height, deviceScaleFactor = 1, mobile = false }, CommandTimeout);
        await connection.SendAsync("Page.enable", null, CommandTimeout);
        await connection.SendAsync("Runtime.enable", null, CommandTimeout);
        await connection.SendAsync("Network.enable", null, CommandTimeout);
        return new ViewerTab(connection, async () =>
        {
            await browser.SendAsync("Target.closeTarget", new { targetId }, CommandTimeout);
        }, () => Tail(log));
    }

    private static string Tail(StringBuilder log)
    {
        lock (log)
        {
            var text = log.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await browser.SendAsync("Browser.close", null, TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // Stopped below either way.
        }
        await browser.DisposeAsync();
        if (!process.WaitForExit(5000))
        {
            Stop(process);
        }
        process.Dispose();
        TryDelete(profileDirectory);
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A crash-reporter file may linger a moment; the temp folder is cleaned by the OS eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>One browser tab on the viewer page.</summary>
public sealed class ViewerTab(DevToolsConnection connection, Func<Task> close, Func<string> browserLog) : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    public DevToolsConnection Connection => connection;

    public Task NavigateAsync(Uri url) => connection.SendAsync("Page.navigate", new { url = url.ToString() }, CommandTimeout);

    /// <summary>Evaluates a JS expression (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await connection.SendAsync("Runtime.evaluate",
            new { expression, returnByValue = true, awaitPromise = true }, CommandTimeout);
        if (result.TryGetProperty("exceptionDetails", out var exception))
        {
            throw new InvalidOperationException($"The page threw evaluating `{expression}`: {exception.GetRawText()}");
        }
        var remote = result.GetProperty("result");
        return remote.TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    public async Task<string> TextAsync(string elementId) =>
        (await EvaluateAsync($"document.getElementById('{elementId}').textContent")).GetString() ?? "";

    /// <summary>Waits until the page's body[data-state] is one of the states given, and returns it.</summary>
    public async Task<string> WaitForStateAsync(TimeSpan timeout, params string[] states)
    {
        var watch = Stopwatch.StartNew();
        var state = "";
        while (watch.Elapsed < timeout)
        {
            state = (await EvaluateAsync("document.body ? (document.body.dataset.state || '') : ''")).GetString() ?? "";
            if (states.Contains(state))
            {
                return state;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException(
            $"The page stayed '{state}' for {timeout.TotalSeconds:0} s, waiting for {string.Join(" or ", states)}. " +
            $"Status: '{await TextAsync("status")}'. Exceptions: {string.Join("; ", Exceptions())}\nBrowser log:\n{browserLog()}");
    }

    /// <summary>Waits two animation frames, so whatever the page drew last is on screen.</summary>
    public Task SettleAsync() =>
        EvaluateAsync("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))");

    public async Task<byte[]> ScreenshotAsync()
    {
        var shot = await connection.SendAsync("Page.captureScreenshot", new { format = "png" }, CommandTimeout);
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }

    /// <summary>The 3D canvas in CSS pixels (the device scale is 1).</summary>
    public async Task<PixelRectangle> CanvasRectangleAsync()
    {
        var r = await EvaluateAsync(
            "(() => { const b = document.querySelector('#viewport canvas').getBoundingClientRect();" +
            " return [Math.round(b.left), Math.round(b.top), Math.round(b.width), Math.round(b.height)]; })()");
        return new PixelRectangle(r[0].GetInt32(), r[1].GetInt32(), r[2].GetInt32(), r[3].GetInt32());
    }

    /// <summary>Uncaught exceptions the page reported (Runtime.exceptionThrown).</summary>
    public IReadOnlyList<string> Exceptions() =>
        connection.Events.Where(e => e.Method == "Runtime.exceptionThrown")
            .Select(e => e.Params.GetProperty("exceptionDetails").GetRawText()).ToArray();

    /// <summary>Every URL the tab asked for (Network.requestWillBeSent).</summary>
    public IReadOnlyList<string> RequestedUrls() =>
        connection.Events.Where(e => e.Method == "Network.requestWillBeSent")
            .Select(e => e.Params.GetProperty("request").GetProperty("url").GetString() ?? "").ToArray();

    public async ValueTask DisposeAsync()
    {
        await connection.DisposeAsync();
        try
        {
            await close();
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            // The browser is shut down with the fixture anyway.
        }
    }
}

public readonly record struct PixelRectangle(int X, int Y, int Width, int Height);
