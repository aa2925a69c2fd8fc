using System.Diagnostics;
using Dataset.Service.Storage;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Telemetry;

/// <summary>
/// Counts head outcomes and logs them with the rate once per interval, only when something happened, so a scrape of
/// thousands of heads gives a line every few seconds rather than one per head.
/// </summary>
public sealed class ProcessingRateLog(IOptions<DatasetOptions> options, ILogger<ProcessingRateLog> logger) : BackgroundService
{
    private long _processed, _skipped, _rejected;

    public long Processed => Interlocked.Read(ref _processed);
    public long Skipped => Interlocked.Read(ref _skipped);
    public long Rejected => Interlocked.Read(ref _rejected);

    public void RecordProcessed() => Interlocked.Increment(ref _processed);
    public void RecordSkipped() => Interlocked.Increment(ref _skipped);
    public void RecordRejected() => Interlocked.Increment(ref _rejected);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RateLogInterval);
        long processed = 0, skipped = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                long p = Processed, s = Skipped, r = Rejected;
                double seconds = clock.Elapsed.TotalSeconds;
                clock.Restart();
                if (p == processed && s == skipped && r == rejected) continue;
                logger.LogInformation(
                    "Heads: {Processed} processed ({Rate:F1} heads/s), {Skipped} already processed, {Rejected} rejected in the last {Seconds:F0} s; totals {TotalProcessed} processed, {TotalRejected} rejected",
                    p - processed, (p - processed) / Math.Max(seconds, 1e-3), s - skipped, r - rejected, seconds, p, r);
                (processed, skipped, rejected) = (p, s, r);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
