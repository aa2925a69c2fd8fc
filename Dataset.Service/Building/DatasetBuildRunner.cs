using System.Diagnostics;
using Dataset.Service.Storage;
using Dataset.Service.Telemetry;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Building;

public enum BuildResult
{
    /// <summary>This attempt wrote and committed the dataset.</summary>
    Built,

    /// <summary>The dataset id was already committed: nothing was written.</summary>
    AlreadyBuilt,

    /// <summary>Another live attempt holds the build; it will commit and announce it.</summary>
    BuildingElsewhere,
}

public sealed record BuildOutcome(BuildResult Result, DatasetManifest? Manifest);

/// <summary>What the rows' source adds to the manifest.</summary>
public sealed record ManifestDetails(DatasetOrigin Origin, string? HeadIdPrefix = null, int? Limit = null, string? ImportDirectory = null);

/// <summary>The open build an attempt fills: the assembler to write into and progress to report.</summary>
public sealed class BuildSession(DatasetAssembler assembler, BuildClaim claim, TimeSpan interval, ILogger logger)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastLog;

    public DatasetAssembler Assembler { get; } = assembler;

    public async Task ReportAsync(long done, long? total, CancellationToken ct, bool force = false)
    {
        await claim.ReportAsync(done, total, Assembler.BytesWritten, interval, force, ct);
        var elapsed = _clock.Elapsed;
        if (elapsed - _lastLog < TimeSpan.FromSeconds(5) && !(force && done > 0)) return;
        _lastLog = elapsed;
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        logger.LogInformation("Dataset {DatasetId}: {Done}/{Total} heads, {Rate:F1} heads/s, {MiB:F1} MiB written ({MiBRate:F1} MiB/s)",
            claim.Progress.DatasetId, done, total, done / seconds, Assembler.BytesWritten / 1048576.0, Assembler.BytesWritten / 1048576.0 / seconds);
    }
}

/// <summary>
/// The part every build shares, whatever its rows come from: the immutable-id check, the claim, streaming files into
/// staged blocks, committing them, writing the manifest last with a conditional create, and recording a failure.
/// </summary>
public sealed class DatasetBuildRunner(
    DatasetStore store,
    DatasetBuildRegistry registry,
    IOptions<DatasetOptions> options,
    ILogger<DatasetBuildRunner> logger)
{
    public async Task<BuildOutcome> RunAsync(string datasetId, DatasetKind kind, double heldOutFraction,
        Func<BuildSession, CancellationToken, Task<ManifestDetails>> fill, CancellationToken ct)
    {
        DatasetBlobLayout.DatasetId(datasetId);
        HeldOutSplit.ValidateFraction(heldOutFraction);
        if (await store.FindManifestAsync(datasetId, ct) is { } existing)
        {
            registry.Forget(datasetId);
            logger.LogInformation("Dataset {DatasetId} already exists ({Kind}, {Heads} heads); nothing rebuilt", datasetId, existing.Kind, existing.HeadIds.Count);
            return new BuildOutcome(BuildResult.AlreadyBuilt, existing);
        }
        var claim = await store.TryClaimAsync(datasetId, kind, ct);
        if (claim is null)
        {
            logger.LogInformation("Dataset {DatasetId} is being built by another attempt; leaving it to that one", datasetId);
            return new BuildOutcome(BuildResult.BuildingElsewhere, null);
        }
        registry.Forget(datasetId);

        using var activity = HeadsTelemetry.ActivitySource.StartActivity("dataset.build");
        activity?.SetTag("heads.dataset.id", datasetId);
        activity?.SetTag("heads.dataset.kind", kind.ToString());
        var clock = Stopwatch.StartNew();
        var o = options.Value;
        try
        {
            DatasetManifest manifest;
            await using (var assembler = new DatasetAssembler(kind, heldOutFraction, spec => store.CreateSink(datasetId, spec, claim.Attempt), o.BlockSizeBytes))
            {
                var session = new BuildSession(assembler, claim, o.ProgressInterval, logger);
                var details = await fill(session, ct);
                // Prove the claim is still ours right before the files become visible.
                await session.ReportAsync(assembler.HeadIds.Count, assembler.HeadIds.Count, ct, force: true);
                manifest = await assembler.CompleteAsync(datasetId, details.Origin, store.Time.GetUtcNow(), ct,
                    details.HeadIdPrefix, details.Limit, details.ImportDirectory);
            }
            if (!await store.TryCommitManifestAsync(manifest, ct))
            {
                var winner = await store.FindManifestAsync(datasetId, ct) ?? throw new InvalidOperationException($"Dataset '{datasetId}' manifest exists but cannot be read.");
                logger.LogWarning("Dataset {DatasetId} was committed by another attempt first; keeping that one", datasetId);
                return new BuildOutcome(BuildResult.AlreadyBuilt, winner);
            }
            await claim.ReleaseAsync(CancellationToken.None);

            double seconds = clock.Elapsed.TotalSeconds;
            var kindTag = new KeyValuePair<string, object?>("kind", kind.ToString());
            DatasetMetrics.DatasetsBuilt.Add(1, kindTag);
            DatasetMetrics.BuildDuration.Record(seconds, kindTag);
            DatasetMetrics.DatasetSize.Record(manifest.TotalBytes, kindTag);
            DatasetMetrics.DatasetRows.Record(manifest.TrainRows + manifest.HeldOutRows, kindTag);
            activity?.SetTag("heads.dataset.bytes", manifest.TotalBytes);
            logger.LogInformation(
                "Dataset {DatasetId} committed: {Kind}, {Heads} heads ({Train} train, {HeldOut} held out), {TrainRows} + {HeldOutRows} rows, {MiB:F1} MiB in {Seconds:F1} s ({Rate:F1} heads/s)",
                datasetId, kind, manifest.HeadIds.Count, manifest.TrainHeadIds.Count, manifest.HeldOutHeadIds.Count,
                manifest.TrainRows, manifest.HeldOutRows, manifest.TotalBytes / 1048576.0, seconds, manifest.HeadIds.Count / Math.Max(seconds, 1e-3));
            return new BuildOutcome(BuildResult.Built, manifest);
        }
        catch (BuildClaimLostException e)
        {
            logger.LogWarning("{Reason}", e.Message);
            return new BuildOutcome(BuildResult.BuildingElsewhere, null);
        }
        catch (Exception e)
        {
            var reason = e is OperationCanceledException && ct.IsCancellationRequested ? "interrupted: the service stopped during the build" : e.Message;
            DatasetMetrics.BuildFailures.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
            activity?.SetStatus(ActivityStatusCode.Error, reason);
            logger.LogError("Dataset {DatasetId} failed after {Seconds:F1} s: {Reason}", datasetId, clock.Elapsed.TotalSeconds, reason);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await claim.FailAsync(reason, timeout.Token);
            }
            catch (Exception markError) when (markError is not OutOfMemoryException)
            {
                // Best effort: an unmarked build goes stale and is taken over after BuildStaleAfter.
                logger.LogWarning("Dataset {DatasetId}: could not record the failure: {Reason}", datasetId, markError.Message);
            }
            throw;
        }
        finally
        {
            store.EndAttempt(claim.Attempt);
        }
    }
}
