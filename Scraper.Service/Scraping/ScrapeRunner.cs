using Scraper.Service.Apis;
using Microsoft.Extensions.Options;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Heads.Core.Contracts;
using MassTransit;
using Scraper.Service.Sources;

namespace Scraper.Service.Scraping;

/// <summary>Runs one scrape: produce each head, store it (skipping heads already stored), publish HeadScraped.</summary>
public sealed class ScrapeRunner(
    IEnumerable<IHeadSource> sources,
    HeadArchive archive,
    ScrapeRegistry registry,
    IOptions<ScraperOptions> options,
    ILogger<ScrapeRunner> logger)
{
    private static readonly Counter<long> HeadsScraped = HeadsTelemetry.Meter.CreateCounter<long>("heads.scraper.heads", "{head}", "Heads stored by the scraper");
    private static readonly Counter<long> HeadsFailed = HeadsTelemetry.Meter.CreateCounter<long>("heads.scraper.failures", "{head}", "Heads a source failed to produce");
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    public IHeadSource Source(string name) =>
        sources.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown head source '{name}'. Known: {string.Join(", ", sources.Select(s => s.Name))}.");

    public async Task RunAsync(ScrapeHeads command, IPublishEndpoint bus, CancellationToken hostToken)
    {
        var source = Source(command.Source);
        registry.Register(new ScrapeStatus { ScrapeId = command.ScrapeId, Source = source.Name, Requested = command.Count, Seed = command.Seed });
        // A cancelled scrape stays cancelled: a publish cut short by the cancellation still faults the consume context
        // (MassTransit awaits its pending publishes), and its retry must not run the scrape again.
        if (registry.Find(command.ScrapeId) is { FinishedAt: not null, State: ScrapeState.Completed or ScrapeState.Cancelled } finished)
        {
            logger.LogInformation("Scrape {ScrapeId} already {State}; redelivery ignored", command.ScrapeId, finished.State);
            return;
        }

        using var cts = registry.Track(command.ScrapeId, hostToken);
        using var activity = HeadsTelemetry.ActivitySource.StartActivity("scrape");
        activity?.SetTag("heads.scrape.id", command.ScrapeId);
        activity?.SetTag("heads.scrape.source", source.Name);
        activity?.SetTag("heads.scrape.count", command.Count);
        var clock = Stopwatch.StartNew();
        registry.Update(command.ScrapeId, s => s with { State = ScrapeState.Running, StartedAt = DateTimeOffset.UtcNow });
        logger.LogInformation("Scrape {ScrapeId}: {Count} heads from {Source}, first seed {Seed}", command.ScrapeId, command.Count, source.Name, command.Seed);

        // Heads are made a few at a time: one head's CPU work (generation, photo, PLY) overlaps another's storage writes,
        // and every core is used. Ids keep the request's order whatever order the heads finish in.
        var headIds = new string?[command.Count];
        int done = 0;
        var lastLogTicks = 0L;
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Value.EffectiveConcurrency, CancellationToken = cts.Token };
            await Parallel.ForEachAsync(Enumerable.Range(0, command.Count), parallel, async (i, ct) =>
            {
                var (outcome, headId) = await ScrapeOneAsync(source, command, i, bus, ct);
                headIds[i] = headId;
                int finished = Interlocked.Increment(ref done);
                var rate = finished / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                registry.Update(command.ScrapeId, s => outcome switch
                {
                    Outcome.Stored => s with { Stored = s.Stored + 1, HeadsPerSecond = rate },
                    Outcome.AlreadyPresent => s with { AlreadyPresent = s.AlreadyPresent + 1, HeadsPerSecond = rate },
                    _ => s with { Failed = s.Failed + 1, HeadsPerSecond = rate },
                });
                long now = clock.Elapsed.Ticks, last = Interlocked.Read(ref lastLogTicks);
                if ((now - last >= LogInterval.Ticks && Interlocked.CompareExchange(ref lastLogTicks, now, last) == last) || finished == command.Count)
                    logger.LogInformation("Scrape {ScrapeId}: {Done}/{Count} heads, {Rate:F1} heads/s", command.ScrapeId, finished, command.Count, rate);
            });
            var final = registry.Find(command.ScrapeId)!;
            await bus.Publish(new ScrapeCompleted
            {
                ScrapeId = command.ScrapeId,
                Source = source.Name,
                HeadIds = headIds.OfType<string>().ToList(),
                Failed = final.Failed,
                CompletedAt = DateTimeOffset.UtcNow,
            }, hostToken);
            registry.Update(command.ScrapeId, s => s with { State = ScrapeState.Completed, FinishedAt = DateTimeOffset.UtcNow });
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            registry.Update(command.ScrapeId, s => s with { State = ScrapeState.Cancelled, FinishedAt = DateTimeOffset.UtcNow });
            logger.LogInformation("Scrape {ScrapeId} cancelled", command.ScrapeId);
            if (hostToken.IsCancellationRequested) throw; // shutting down: let the broker redeliver it
        }
        catch (Exception ex)
        {
            registry.Update(command.ScrapeId, s => s with { State = ScrapeState.Failed, FinishedAt = DateTimeOffset.UtcNow, Error = ex.Message });
            throw;
        }
        finally
        {
            registry.Untrack(command.ScrapeId);
        }
    }

    private enum Outcome { Stored, AlreadyPresent, Failed }

    private async Task<(Outcome, string?)> ScrapeOneAsync(IHeadSource source, ScrapeHeads command, int index, IPublishEndpoint bus, CancellationToken ct)
    {
        var predicted = source.PredictHeadId(command.Seed, index);
        if (predicted is not null && await archive.ContainsAsync(predicted, ct))
        {
            await PublishAsync(bus, command, source, predicted, command.Seed + index, ct);
            return (Outcome.AlreadyPresent, predicted);
        }

        SourcedHead head;
        try
        {
            head = await source.ProduceAsync(command.Seed, index, ct);
        }
        catch (HeadSourceException ex) when (command.Count > 1 && source.Name != "synthetic")
        {
            // One unreachable face or broken mesh should not end a long real-source scrape.
            HeadsFailed.Add(1, new KeyValuePair<string, object?>("source", source.Name));
            logger.LogWarning("Scrape {ScrapeId}: head {Index} failed: {Reason}", command.ScrapeId, index, ex.Message);
            registry.Update(command.ScrapeId, s => s with { Error = ex.Message });
            return (Outcome.Failed, null);
        }

        bool present = await archive.ContainsAsync(head.HeadId, ct);
        if (!present)
        {
            await archive.StoreAsync(head, ct);
            HeadsScraped.Add(1, new KeyValuePair<string, object?>("source", source.Name));
        }
        await PublishAsync(bus, command, source, head.HeadId, head.Seed, ct);
        registry.Update(command.ScrapeId, s => s with { LastHeadIds = [.. s.LastHeadIds.TakeLast(9), head.HeadId] });
        return (present ? Outcome.AlreadyPresent : Outcome.Stored, head.HeadId);
    }

    private static Task PublishAsync(IPublishEndpoint bus, ScrapeHeads command, IHeadSource source, string headId, long? seed, CancellationToken ct) =>
        bus.Publish(new HeadScraped
        {
            HeadId = headId,
            ScrapeId = command.ScrapeId,
            Source = source.Name,
            Seed = seed,
            FaceBlob = $"{HeadsBlobContainers.FacesName}/{HeadArchive.FaceBlobName(headId)}",
            MeshBlob = $"{HeadsBlobContainers.MeshesName}/{HeadArchive.MeshBlobName(headId)}",
            ScrapedAt = DateTimeOffset.UtcNow,
        }, ct);
}
