using System.Diagnostics;
using Azure;
using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using Heads.Core.Models;
using Microsoft.Extensions.Options;

namespace Inference.Service.Serving;

/// <summary>
/// Keeps the registry in step with storage: scans at start (retrying while storage comes up) and again on every
/// <c>ModelTrained</c> or <c>POST /api/v1/models/reload</c>. A scan keeps models whose manifest blob is unchanged
/// (same ETag), loads new or rewritten ones beside them, then swaps the snapshot in one step, so requests never see a
/// half-loaded set and never wait for a load. Scans run one at a time.
/// </summary>
public sealed class ModelLoader(
    ModelStore store,
    ModelRegistry registry,
    InferenceMetrics metrics,
    IOptions<InferenceOptions> options,
    ILogger<ModelLoader> logger) : BackgroundService
{
    private readonly SemaphoreSlim gate = new(1, 1);
    // Failed loads by manifest ETag, so a broken job is not downloaded again on every scan.
    private readonly Dictionary<(string Blob, string ETag), string> failures = [];

    /// <summary>Rescans storage and publishes the new snapshot.</summary>
    public async Task<ModelSnapshot> ReloadAsync(string reason, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await ScanAsync(reason, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (int attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await ReloadAsync("start", stoppingToken);
                return;
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Model storage not ready (attempt {Attempt}): {Reason}", attempt, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(attempt, 5)), stoppingToken);
            }
        }
    }

    private async Task<ModelSnapshot> ScanAsync(string reason, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var listing = await store.ListAsync(cancellationToken);
        ModelPins pins;
        try
        {
            pins = (await store.ReadPinsAsync(cancellationToken)).Pins;
        }
        catch (InvalidDataException e)
        {
            logger.LogWarning("Ignoring the pinned defaults: {Reason}", e.Message);
            pins = new ModelPins();
        }
        var current = registry.Current;
        var skipped = new List<SkippedModel>(listing.Unreadable);
        var served = new List<ServedModel>();
        int loadedNow = 0;

        foreach (var group in listing.Jobs.GroupBy(j => j.Model))
        {
            // Two manifests may claim one job id (copied folders); the newest wins.
            var newest = group.GroupBy(j => j.JobId).Select(g => g.OrderByDescending(j => j.CreatedAt).First())
                .OrderByDescending(j => j.CreatedAt).ThenBy(j => j.JobId).ToList();
            int kept = 0, keep = Math.Max(1, group.Key == TrainingModel.FaceNet2 ? options.Value.FaceNet2Models : options.Value.ModelsPerKind);
            // Beyond the newest few, the model a default would pick stays loaded: the pinned one and the newest promoted one.
            var defaultCandidate = newest.FirstOrDefault(j => j.IsDefaultCandidate);
            foreach (var job in newest)
            {
                bool mustServe = job.JobId == pins.For(ModelPins.FamilyOf(job.Model)) || ReferenceEquals(job, defaultCandidate);
                if (kept >= keep && !mustServe)
                {
                    skipped.Add(new SkippedModel(job.BlobName, job.JobId, job.Model, job.CreatedAt, $"Not loaded: only the newest {keep} {job.Model} models are served (Inference:{(job.Model == TrainingModel.FaceNet2 ? nameof(InferenceOptions.FaceNet2Models) : nameof(InferenceOptions.ModelsPerKind))})."));
                    continue;
                }
                var existing = current.Models.FirstOrDefault(m => m.Job.BlobName == job.BlobName && m.Job.ETag == job.ETag);
                if (existing is not null)
                {
                    served.Add(existing);
                    kept++;
                    continue;
                }
                if (failures.TryGetValue((job.BlobName, job.ETag), out var earlier))
                {
                    skipped.Add(new SkippedModel(job.BlobName, job.JobId, job.Model, job.CreatedAt, earlier));
                    continue;
                }
                try
                {
                    var model = await store.LoadAsync(job, NewBatcher, cancellationToken);
                    served.Add(model);
                    kept++;
                    loadedNow++;
                    metrics.ModelLoaded(job.Model, model.LoadSeconds, "loaded");
                    logger.LogInformation("Loaded {Model} job {JobId} ({Parameters:N0} parameters, dataset {DatasetId}) in {Seconds:F2} s",
                        job.Model, job.JobId, model.Parameters, job.DatasetId, model.LoadSeconds);
                }
                // One model that cannot load (bad file, storage error, native failure) must not keep the others from serving.
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var why = $"Load failed: {e.Message}";
                    // Storage hiccups are retried on the next scan; a broken model stays broken until rewritten.
                    if (e is ModelFormatException or FormatException or ArgumentException) failures[(job.BlobName, job.ETag)] = why;
                    skipped.Add(new SkippedModel(job.BlobName, job.JobId, job.Model, job.CreatedAt, why));
                    metrics.ModelLoaded(job.Model, 0, "failed");
                    logger.LogError(e, "Could not load {Model} job {JobId} from {Blob}", job.Model, job.JobId, job.BlobName);
                }
            }
        }

        var next = new ModelSnapshot(served, skipped, DateTimeOffset.UtcNow, current.Generation + 1, pins);
        var dropped = current.Models.Where(m => !served.Contains(m)).ToList();
        registry.Publish(next);
        foreach (var m in dropped)
            logger.LogInformation("Unloading {Model} job {JobId}: {Reason}", m.Kind, m.JobId, "no longer among the served models; freed when its last request ends");
        logger.LogInformation("Model scan ({Reason}) done in {Seconds:F2} s: {Served} served ({Loaded} newly loaded, {Dropped} dropped), {Skipped} skipped",
            reason, clock.Elapsed.TotalSeconds, served.Count, loadedNow, dropped.Count, skipped.Count);
        return next;
    }

    private VolumeBatcher NewBatcher(IVolumePredictor predictor) =>
        new(predictor, Math.Max(1, options.Value.MaxBatch), TimeSpan.FromMilliseconds(Math.Max(0, options.Value.BatchWindowMilliseconds)), metrics.BatchRan);

    public override void Dispose()
    {
        gate.Dispose();
        base.Dispose();
    }
}
