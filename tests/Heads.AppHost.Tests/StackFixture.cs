using Microsoft.Extensions.Logging;

[assembly: AssemblyFixture(typeof(Heads.AppHost.Tests.StackFixture))]

namespace Heads.AppHost.Tests;

/// <summary>Starts the real AppHost once: RabbitMQ and Azurite executables and all four services, in a private state folder.</summary>
public sealed class StackFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["scraper", "dataset", "trainer", "inference"];
    private readonly string _state = Path.Combine(Path.GetTempPath(), "heads-stack-" + Guid.NewGuid().ToString("N"));
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The stack has not started.");

    public async ValueTask InitializeAsync()
    {
        using var startTimeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Heads_AppHost>(
            [$"--Heads:StateDirectory={_state}", "--Heads:Pipeline:Enabled=false"], startTimeout.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("Heads.AppHost.Resources", LogLevel.Warning)
            .AddFilter("System.Net.Http", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.Warning));
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        _app = await builder.BuildAsync(startTimeout.Token);
        await _app.StartAsync(startTimeout.Token);
        foreach (var name in (string[])["rabbitmq", "blobs", .. Services])
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(name, startTimeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
