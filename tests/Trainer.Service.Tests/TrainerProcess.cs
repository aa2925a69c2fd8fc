using System.Diagnostics;
using System.Globalization;
using System.Text;
using Heads.Testing;

namespace Trainer.Service.Tests;

/// <summary>
/// A trainer replica in its own process (the service's own executable from this test's output), so that it can be killed
/// outright, as a crashed machine would be: its broker connection drops and RabbitMQ redelivers what it had not acknowledged.
/// </summary>
internal sealed class TrainerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TrainerProcess(Process process, string replica, Uri address)
    {
        _process = process;
        Replica = replica;
        Address = address;
    }

    public string Replica { get; }
    public Uri Address { get; }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<TrainerProcess> StartAsync(RealInfrastructure infrastructure, string replica, int torchThreads = 1)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "Trainer.Service");
        if (!File.Exists(executable)) throw new FileNotFoundException("The trainer executable is not in the test output.", executable);
        int port = RealInfrastructure.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.Environment["ASPNETCORE_URLS"] = address.ToString();
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ConnectionStrings__rabbitmq"] = infrastructure.RabbitMqConnectionString;
        psi.Environment["ConnectionStrings__blobs"] = infrastructure.BlobsConnectionString;
        psi.Environment["Trainer__ReplicaName"] = replica;
        psi.Environment["Trainer__TorchThreads"] = torchThreads.ToString(CultureInfo.InvariantCulture);
        psi.Environment["Trainer__ProgressInterval"] = "00:00:00.100";
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__LogLevel__Trainer"] = "Information";
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var trainer = new TrainerProcess(process, replica, address);
        process.OutputDataReceived += (_, e) => trainer.Append(e.Data);
        process.ErrorDataReceived += (_, e) => trainer.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // /health covers the bus and storage: ready means the replica is consuming.
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"Trainer {replica} exited with {process.ExitCode}:\n{trainer.Output}");
            try
            {
                if ((await http.GetAsync("/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode) return trainer;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await trainer.DisposeAsync();
                throw new TimeoutException($"Trainer {replica} was not healthy within 60 s:\n{trainer.Output}");
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>SIGKILL: no shutdown, no acknowledgements, no goodbye to the broker.</summary>
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
}
