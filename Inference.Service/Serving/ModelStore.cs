using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Heads.Core.Training.Jobs;
using Microsoft.Extensions.Options;

namespace Inference.Service.Serving;

/// <summary>The pictures the trainer stores beside a job's model.</summary>
public enum ModelPicture
{
    /// <summary><c>gallery.png</c>: held-out heads (photo, true, predicted) or HeadsNet seeds.</summary>
    Gallery,

    /// <summary><c>losses.png</c>: training and held-out loss per epoch.</summary>
    Losses,
}

/// <summary>A stored picture's bytes and when it was written.</summary>
public sealed record StoredPicture(byte[] Png, DateTimeOffset LastModified);

/// <summary>What a scan of the models container found: parsed job manifests and the manifests that could not be read.</summary>
public sealed record ModelListing(IReadOnlyList<JobManifest> Jobs, IReadOnlyList<SkippedModel> Unreadable);

/// <summary>
/// The only code that knows how trained models are laid out in blob storage (container <c>models</c>):
/// <code>
/// {jobId}/manifest.json                      the job manifest (see <see cref="JobManifest"/>)
/// {jobId}/model.safetensors                  HeadsNet, FaceNet1, FaceNet3: "weights" (+ "modelManifest" inline)
/// {jobId}/shards/00000-02048.safetensors     FaceNet2: "shards": [{first, count, weights, manifest}]
/// {jobId}/shards/00000-02048.json            a shard's engine manifest (kind FaceNet2Shard, voxel range, SHA-256)
/// {jobId}/gallery.png                        the job's pictures (<see cref="ModelPicture"/>), written by the trainer
/// {jobId}/losses.png
/// </code>
/// Blob paths inside a manifest are taken relative to the container (a leading <c>models/</c> is ignored); when no
/// blob is there, they are tried relative to the manifest's folder, so a job copied under another prefix still loads.
/// </summary>
public sealed class ModelStore(HeadsBlobContainers containers, IOptions<InferenceOptions> options, ILogger<ModelStore> logger)
{
    public const string ManifestName = Heads.Core.Inference.ModelJobLayout.ManifestName;

    /// <summary>A job's picture is a few hundred KiB; anything far larger is not one of ours and is not read into memory.</summary>
    public const int MaxPictureBytes = 16 << 20;

    private BlobContainerClient Container => containers.Models;

    private string Prefix => options.Value.ModelsPrefix ?? "";

    /// <summary>Finds every <c>{prefix}{jobId}/manifest.json</c> and parses it; unreadable ones are reported, not thrown.</summary>
    public async Task<ModelListing> ListAsync(CancellationToken cancellationToken)
    {
        var jobs = new List<JobManifest>();
        var unreadable = new List<SkippedModel>();
        await foreach (var item in Container.GetBlobsAsync(new GetBlobsOptions { Prefix = Prefix }, cancellationToken))
        {
            var relative = item.Name[Prefix.Length..];
            int slash = relative.IndexOf('/');
            if (slash <= 0 || relative[(slash + 1)..] != ManifestName) continue;
            try
            {
                var content = await Container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken);
                var details = content.Value.Details;
                jobs.Add(JobManifest.Parse(content.Value.Content.ToMemory().Span, item.Name, details.ETag.ToString(), details.LastModified));
            }
            catch (FormatException e)
            {
                unreadable.Add(new SkippedModel(item.Name, null, null, item.Properties.LastModified, e.Message));
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Deleted between listing and reading: it is simply gone.
            }
        }
        return new ModelListing(jobs, unreadable);
    }

    /// <summary>
    /// A job's stored picture, or null when it has none. The blob name comes from the job id's own formatting and a
    /// fixed file name, never from request text. Throws <see cref="InvalidDataException"/> above <see cref="MaxPictureBytes"/>.
    /// </summary>
    public async Task<StoredPicture?> ReadPictureAsync(Guid jobId, ModelPicture picture, CancellationToken cancellationToken)
    {
        var relative = picture switch
        {
            ModelPicture.Gallery => Heads.Core.Inference.ModelJobLayout.GalleryBlob(jobId),
            ModelPicture.Losses => Heads.Core.Inference.ModelJobLayout.LossesBlob(jobId),
            _ => throw new ArgumentOutOfRangeException(nameof(picture), picture, "Unknown picture."),
        };
        var blob = Container.GetBlobClient(Prefix + relative);
        try
        {
            // One byte past the cap tells a too-large blob from one exactly at it, without reading the rest.
            var download = await blob.DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(0, MaxPictureBytes + 1L) }, cancellationToken);
            using var content = download.Value;
            long? total = content.Details.ContentRange is { } range && range.LastIndexOf('/') is var slash and > 0
                && long.TryParse(range[(slash + 1)..], out var length) ? length : content.Details.ContentLength;
            if (total > MaxPictureBytes)
                throw new InvalidDataException($"{blob.Name} holds {total} bytes, more than a picture may ({MaxPictureBytes}).");
            using var buffer = new MemoryStream();
            await content.Content.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length > MaxPictureBytes)
                throw new InvalidDataException($"{blob.Name} holds more than {MaxPictureBytes} bytes, more than a picture may.");
            return new StoredPicture(buffer.ToArray(), content.Details.LastModified);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 416)
        {
            // 416: a range request on an empty blob; an empty picture is no picture.
            return null;
        }
    }

    /// <summary>Loads a job's networks; throws <see cref="ModelFormatException"/> (or a storage exception) when they cannot be served.</summary>
    public async Task<ServedModel> LoadAsync(JobManifest job, Func<IVolumePredictor, VolumeBatcher> batcher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        var clock = Stopwatch.StartNew();
        switch (job.Model)
        {
            case TrainingModel.HeadsNet:
            {
                var weights = await ResolveAsync(job, job.Weights!, cancellationToken);
                var model = await LoadBlobAsync(weights, s => HeadsNetModel.Load(s, job.ModelManifest), cancellationToken);
                return ServedModel.ForHeads(job, model, clock.Elapsed.TotalSeconds);
            }
            case TrainingModel.FaceNet1 or TrainingModel.FaceNet3:
            {
                var weights = await ResolveAsync(job, job.Weights!, cancellationToken);
                var model = await LoadBlobAsync(weights, s => FaceNetModel.Load(s, job.ModelManifest), cancellationToken);
                var expected = job.Model == TrainingModel.FaceNet1 ? ModelKind.FaceNet1 : ModelKind.FaceNet3;
                if (model.Manifest.Kind != expected)
                {
                    model.Dispose();
                    throw new ModelFormatException($"{job.BlobName} says {job.Model}, but {weights.Name} holds a {model.Manifest.Kind} network.");
                }
                return ServedModel.ForVolumes(job, model, model.Manifest.Architecture.ParameterCount, clock.Elapsed.TotalSeconds, batcher);
            }
            case TrainingModel.FaceNetPca:
            {
                var weights = await ResolveAsync(job, job.Weights!, cancellationToken);
                var model = await LoadBlobAsync(weights, s => FaceNetPcaModel.Load(s, job.ModelManifest), cancellationToken);
                long parameters = model.Manifest.Architecture.ParameterCount + model.Basis.numel() + model.Mean.numel();
                return ServedModel.ForVolumes(job, model, parameters, clock.Elapsed.TotalSeconds, batcher);
            }
            case TrainingModel.FaceNet2:
            {
                var model = await LoadFaceNet2Async(job, cancellationToken);
                long parameters = model.Shards.Sum(s => (long)(s.Ensemble?.Count ?? 0) * s.Manifest.Architecture.ParameterCount);
                return ServedModel.ForVolumes(job, model, parameters, clock.Elapsed.TotalSeconds, batcher);
            }
            default:
                throw new ModelFormatException($"{job.BlobName}: model {job.Model} cannot be served.");
        }
    }

    /// <summary>{prefix}pins.json (defaults pinned by hand), or none pinned when it does not exist.</summary>
    public async Task<(ModelPins Pins, ETag? ETag)> ReadPinsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var content = await Container.GetBlobClient(Prefix + ModelPins.BlobName).DownloadContentAsync(cancellationToken);
            return (ModelPins.Parse(content.Value.Content.ToMemory().Span), content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return (new ModelPins(), null);
        }
    }

    /// <summary>Replaces the pins if they are still those read with <paramref name="etag"/> (null: if there are none); false when another writer came first.</summary>
    public async Task<bool> TryWritePinsAsync(ModelPins pins, ETag? etag, CancellationToken cancellationToken)
    {
        var conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All };
        try
        {
            await Container.GetBlobClient(Prefix + ModelPins.BlobName).UploadAsync(new BinaryData(pins.ToJson()),
                new BlobUploadOptions { Conditions = conditions, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } }, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    private async Task<FaceNet2Model> LoadFaceNet2Async(JobManifest job, CancellationToken cancellationToken)
    {
        var loaded = new ConcurrentDictionary<int, VoxelShard>();
        try
        {
            // A few shards at a time: storage reads overlap with the other shards' parsing and copying.
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(Environment.ProcessorCount, 1, 4), CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(Enumerable.Range(0, job.Shards.Count), parallel, async (i, ct) =>
            {
                var reference = job.Shards[i];
                ModelManifest? manifest = null;
                if (reference.Manifest is { } manifestPath)
                {
                    var manifestBlob = await ResolveAsync(job, manifestPath, ct);
                    var content = await manifestBlob.DownloadContentAsync(ct);
                    manifest = ModelManifest.FromJson(content.Value.Content.ToString());
                }
                var weights = await ResolveAsync(job, reference.Weights, ct);
                var shard = await LoadBlobAsync(weights, s => VoxelShard.Load(s, manifest), ct);
                loaded[i] = shard;
                if (shard.FirstVoxel != reference.First || shard.VoxelCount != reference.Count)
                    throw new ModelFormatException($"{job.BlobName}: shards[{i}] is listed as voxels {reference.First}+{reference.Count}, but {weights.Name} covers {shard.FirstVoxel}+{shard.VoxelCount}.");
            });
            var model = new FaceNet2Model();
            try
            {
                foreach (var (_, shard) in loaded.OrderBy(kv => kv.Key)) model.Add(shard);
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"{job.BlobName}: {e.Message}", e);
            }
            if (!model.IsComplete)
            {
                var gaps = model.MissingRanges;
                throw new ModelFormatException($"{job.BlobName}: the shards leave {gaps.Sum(g => g.Count)} voxels uncovered, first {gaps[0].First}..{gaps[0].First + gaps[0].Count - 1} ({gaps.Count} gaps).");
            }
            return model;
        }
        catch
        {
            foreach (var shard in loaded.Values) shard.Dispose();
            throw;
        }
    }

    private static async Task<T> LoadBlobAsync<T>(BlobClient blob, Func<Stream, T> load, CancellationToken cancellationToken)
    {
        await using var stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = 4 << 20 }, cancellationToken);
        // The engine's loaders read synchronously (hashing as they go); keep that off the caller's thread.
        return await Task.Run(() => load(stream), cancellationToken);
    }

    /// <summary>The blob a manifest's path names: container-relative first, then relative to the manifest's folder.</summary>
    private async Task<BlobClient> ResolveAsync(JobManifest job, string path, CancellationToken cancellationToken)
    {
        var trimmed = path.TrimStart('/');
        if (trimmed.StartsWith(HeadsBlobContainers.ModelsName + "/", StringComparison.Ordinal)) trimmed = trimmed[(HeadsBlobContainers.ModelsName.Length + 1)..];
        var folder = JobManifest.FolderOf(job.BlobName);
        var candidates = new List<string> { Prefix + trimmed, folder + "/" + trimmed };
        int slash = trimmed.IndexOf('/');
        if (slash > 0) candidates.Add(folder + "/" + trimmed[(slash + 1)..]);
        foreach (var name in candidates.Distinct())
        {
            var blob = Container.GetBlobClient(name);
            if ((await blob.ExistsAsync(cancellationToken)).Value) return blob;
        }
        logger.LogDebug("None of {Candidates} exists for {Path} in {Manifest}", candidates, path, job.BlobName);
        throw new ModelFormatException($"{job.BlobName} names '{path}', but no such blob exists (tried {string.Join(", ", candidates.Distinct())}).");
    }
}
