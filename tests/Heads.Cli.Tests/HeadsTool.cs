using System.Diagnostics;
using System.Reflection;

namespace Heads.Cli.Tests;

/// <summary>What one run of the tool did.</summary>
public sealed record ToolRun(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the built <c>heads</c> tool (tools/Heads.Cli's own output, with its deps.json) as a separate process.</summary>
public static class HeadsTool
{
    private static readonly Lock Transcript = new();

    public static string Path { get; } = typeof(HeadsTool).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "HeadsCli").Value!;

    public static async Task<ToolRun> RunAsync(string workingDirectory, params string[] args)
    {
        Assert.True(File.Exists(Path), $"{Path} is missing: build tools/Heads.Cli first.");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // One torch thread: test classes run side by side on a small machine.
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var done = new ToolRun(process.ExitCode, await output, await error);
        // HEADS_CLI_TRANSCRIPT=FILE appends every run as a terminal would show it (for documentation).
        if (Environment.GetEnvironmentVariable("HEADS_CLI_TRANSCRIPT") is { Length: > 0 } transcript)
            lock (Transcript) File.AppendAllText(transcript, $"$ heads {string.Join(' ', args)}\n{done.Output}{done.Error}[exit {done.ExitCode}]\n");
        return done;
    }

    /// <summary>Runs and asserts the exit code, showing everything the tool printed when it differs.</summary>
    public static async Task<ToolRun> ExpectAsync(int exitCode, string workingDirectory, params string[] args)
    {
        var run = await RunAsync(workingDirectory, args);
        Assert.True(run.ExitCode == exitCode, $"heads {string.Join(' ', args)}: expected exit {exitCode}, got {run}");
        return run;
    }

    /// <summary>An input error: exit 2 with exactly one line on stderr, starting "heads: ".</summary>
    public static async Task<string> ExpectInputErrorAsync(string workingDirectory, params string[] args)
    {
        var run = await ExpectAsync(2, workingDirectory, args);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1 && lines[0].StartsWith("heads: ", StringComparison.Ordinal), $"expected one 'heads: …' line on stderr: {run}");
        return lines[0];
    }
}
