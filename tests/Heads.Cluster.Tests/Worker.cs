using System.Diagnostics;
using System.Text;

namespace Heads.Cluster.Tests;

/// <summary>A trainer worker started inside a <see cref="NetworkNamespace"/> with the command the AppHost printed.</summary>
public sealed class Worker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Worker(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Runs <paramref name="joinCommand"/> (<c>dotnet run -c Release --project Trainer.Service -- …</c>) from the repository
    /// root inside the namespace, without building again (this test's build is the one to run), with
    /// <paramref name="extra"/> settings appended.
    /// </summary>
    public static Worker Start(NetworkNamespace host, string joinCommand, string extra)
    {
        var configuration = typeof(Worker).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Debug";
        const string printed = "dotnet run -c Release --project Trainer.Service -- ";
        Assert.StartsWith(printed, joinCommand);
        var command = $"exec dotnet run --no-build -c {configuration} --project Trainer.Service -- {joinCommand[printed.Length..]} {extra}";
        var environment = new Dictionary<string, string>
        {
            // Its own API on the namespace's loopback, which nothing outside reaches.
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:5103",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["Logging__LogLevel__MassTransit"] = "Warning",
        };
        return new Worker(host.Start(command, RealInfrastructure.RepositoryRoot(), environment));
    }

    /// <summary>Waits for the process to end (a refused join ends by itself) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }
}
