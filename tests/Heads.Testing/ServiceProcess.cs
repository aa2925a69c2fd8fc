using System.Diagnostics;
using System.Reflection;
using System.Text;
using Xunit;

namespace Heads.Testing;

/// <summary>
/// A Heads service as its own OS process, started from the service's build output (the same configuration as this test
/// assembly) with its settings as environment variables, listening on a free loopback port. <see cref="KillAsync"/> is
/// SIGKILL: no shutdown, no acknowledgements, no goodbye to the broker, as a crashed machine.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, string name, Uri address)
    {
        _process = process;
        Name = name;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Name { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Output { get { lock (_output) return _output.ToString(); } }

    /// <summary>Starts <paramref name="project"/> (e.g. "Trainer.Service") and waits until its /health (broker, storage, self) answers 200.</summary>
    public static async Task<ServiceProcess> StartAsync(string project, string name, RealInfrastructure infrastructure, IReadOnlyDictionary<string, string> settings)
    {
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var folder = Path.Combine(RealInfrastructure.RepositoryRoot(), project, "bin", configuration, "net10.0");
        var executable = Path.Combine(folder, project);
        if (!File.Exists(executable)) throw new FileNotFoundException($"{project} is not built ({configuration}); building this test project builds it.", executable);
        var address = new Uri($"http://127.0.0.1:{RealInfrastructure.FreePort()}");
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = folder,
        };
        psi.Environment["ASPNETCORE_URLS"] = address.ToString();
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["ConnectionStrings__rabbitmq"] = infrastructure.RabbitMqConnectionString;
        psi.Environment["ConnectionStrings__blobs"] = infrastructure.BlobsConnectionString;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings) psi.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var service = new ServiceProcess(process, name, address);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{service.Output}");
            try
            {
                using var response = await service.Http.GetAsync("/health", TestContext.Current.CancellationToken);
                if (response.IsSuccessStatusCode) return service;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await service.DisposeAsync();
                throw new TimeoutException($"{name} was not healthy within 60 s:\n{service.Output}");
            }
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Settings every trainer replica in the tests gets: one torch thread (two replicas share two cores), fast progress.</summary>
    public static Dictionary<string, string> TrainerSettings(string replica) => new()
    {
        ["Trainer:ReplicaName"] = replica,
        ["Trainer:TorchThreads"] = "1",
        ["Trainer:ProgressInterval"] = "00:00:00.100",
        ["Logging:LogLevel:Trainer"] = "Information",
        ["Logging:LogLevel:MassTransit"] = "Warning",
    };

    public static Task<ServiceProcess> StartTrainerAsync(RealInfrastructure infrastructure, string replica) =>
        StartAsync("Trainer.Service", replica, infrastructure, TrainerSettings(replica));

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await KillAsync();
        _process.Dispose();
    }
}
