using System.Security.Cryptography;
using System.Text;
using Heads.Core.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using Scraper.Service.Apis;

namespace Scraper.Service.Scraping;

/// <summary>
/// Publishes one synthetic scrape at start when configured, so a fresh stack has data. Its id is derived from
/// (seed, count): restarting the stack repeats the same scrape, which skips every head already stored.
/// </summary>
public sealed class ScrapeOnStart(IBusControl bus, ScrapeRegistry registry, IOptions<ScraperOptions> options, ILogger<ScrapeOnStart> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.ScrapeOnStartCount <= 0) return;
        var id = new Guid(MD5.HashData(Encoding.UTF8.GetBytes($"scrape-on-start:{o.ScrapeOnStartSeed}:{o.ScrapeOnStartCount}")));
        var command = new ScrapeHeads { ScrapeId = id, Count = o.ScrapeOnStartCount, Source = "synthetic", Seed = o.ScrapeOnStartSeed };
        registry.Register(new ScrapeStatus { ScrapeId = id, Source = command.Source, Requested = command.Count, Seed = command.Seed });
        // On a fresh broker the queue that consumes ScrapeHeads is bound only once this service's receive endpoints
        // are up; a publish before that would reach no queue and be lost.
        while (bus.CheckHealth().Status != BusHealthStatus.Healthy)
            await Task.Delay(TimeSpan.FromMilliseconds(250), stoppingToken);
        await bus.Publish(command, stoppingToken);
        logger.LogInformation("Scrape on start: {Count} synthetic heads from seed {Seed} (scrape {ScrapeId})", o.ScrapeOnStartCount, o.ScrapeOnStartSeed, id);
    }
}
