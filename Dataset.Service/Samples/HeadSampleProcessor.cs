using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs;
using Dataset.Service.Storage;
using Dataset.Service.Telemetry;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Samples;

public enum HeadOutcome
{
    Processed,
    AlreadyProcessed,
}

/// <summary>
/// HeadScraped → samples: fetch the mesh and photo, sample them with the geometry core, store the samples under the
/// head id. A head already processed is skipped untouched. A corrupt mesh or photo marks the head rejected and throws
/// <see cref="InvalidDataException"/> with the reason, so its message faults without retries and nothing else changes.
/// </summary>
public sealed class HeadSampleProcessor(
    HeadsBlobContainers containers,
    HeadSampleStore store,
    HeadSampler sampler,
    ProcessingRateLog rateLog,
    IOptions<DatasetOptions> options,
    TimeProvider time,
    ILogger<HeadSampleProcessor> logger)
{
    public async Task<HeadOutcome> ProcessAsync(HeadScraped scraped, CancellationToken ct)
    {
        var headId = DatasetBlobLayout.HeadId(scraped.HeadId);
        using var activity = HeadsTelemetry.ActivitySource.StartActivity("dataset.head");
        activity?.SetTag("heads.head.id", headId);
        if (await store.IsProcessedAsync(headId, ct))
        {
            DatasetMetrics.HeadsSkipped.Add(1);
            rateLog.RecordSkipped();
            activity?.SetTag("heads.head.outcome", "already-processed");
            return HeadOutcome.AlreadyProcessed;
        }

        var clock = Stopwatch.StartNew();
        HeadSample sample;
        try
        {
            var mesh = await FetchAsync(containers.Meshes, scraped.MeshBlob, headId, HeadSampleStage.Mesh, ct);
            var photo = await FetchAsync(containers.Faces, scraped.FaceBlob, headId, HeadSampleStage.Photo, ct);
            sample = sampler.Sample(headId, mesh, photo);
        }
        catch (HeadSampleException e)
        {
            await RejectAsync(scraped, e, ct);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            // No inner exception: the bus puts the innermost exception's message in the error queue's fault headers, and
            // a decoder's internal error ("Object reference not set…") would hide the reason.
            throw new InvalidDataException(e.Message);
        }

        var bytes = await store.StoreAsync(sample, HeadSampleStore.RecordOf(sample, scraped, time.GetUtcNow()), ct);
        await store.ClearRejectionAsync(headId, ct);
        DatasetMetrics.HeadsProcessed.Add(1);
        DatasetMetrics.BytesWritten.Add(bytes, new KeyValuePair<string, object?>("artifact", "samples"));
        DatasetMetrics.HeadDuration.Record(clock.Elapsed.TotalSeconds);
        rateLog.RecordProcessed();
        activity?.SetTag("heads.head.outcome", "processed");
        activity?.SetTag("heads.head.rows", sample.HeadsNetRowCount);
        logger.LogDebug("Head {HeadId}: {Vertices} vertices, {Occupied} occupied voxels, {Rows} HeadsNet rows in {Ms:F0} ms",
            headId, sample.VertexCount, sample.OccupiedVoxels, sample.HeadsNetRowCount, clock.Elapsed.TotalMilliseconds);
        return HeadOutcome.Processed;
    }

    private async Task<MemoryStream> FetchAsync(BlobContainerClient container, string path, string headId, HeadSampleStage stage, CancellationToken ct)
    {
        string name;
        try
        {
            name = DatasetBlobLayout.BlobNameIn(path, container.Name);
        }
        catch (InvalidDataException e)
        {
            throw new HeadSampleException(headId, stage, e.Message, e);
        }
        try
        {
            var response = await container.GetBlobClient(name).DownloadStreamingAsync(cancellationToken: ct);
            using var content = response.Value.Content;
            long length = response.Value.Details.ContentLength;
            long max = options.Value.MaxHeadBlobBytes;
            if (length > max) throw new HeadSampleException(headId, stage, $"blob {path} has {length} bytes, more than the limit of {max}.");
            var buffer = new MemoryStream((int)length);
            await content.CopyToAsync(buffer, ct);
            buffer.Position = 0;
            return buffer;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new HeadSampleException(headId, stage, $"blob {path} does not exist.", e);
        }
    }

    private async Task RejectAsync(HeadScraped scraped, HeadSampleException e, CancellationToken ct)
    {
        await store.RejectAsync(new HeadRejection
        {
            HeadId = e.HeadId,
            Stage = e.Stage,
            Reason = e.Reason,
            FaceBlob = scraped.FaceBlob,
            MeshBlob = scraped.MeshBlob,
            ScrapeId = scraped.ScrapeId,
            RejectedAt = time.GetUtcNow(),
        }, ct);
        DatasetMetrics.Rejects.Add(1, new KeyValuePair<string, object?>("stage", e.Stage.ToString().ToLowerInvariant()));
        rateLog.RecordRejected();
        logger.LogWarning("Head {HeadId} rejected ({Stage}): {Reason}", e.HeadId, e.Stage, e.Reason);
    }
}
