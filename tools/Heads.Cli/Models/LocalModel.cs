using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Heads.Core.Models;

namespace Heads.Cli.Models;

/// <summary>
/// A model loaded from local files, for <c>--model-file</c>. Accepted, as the trainer writes them to the <c>models</c>
/// container (mirrored to disk, e.g. with a blob download of one job's folder):
/// <list type="bullet">
/// <item>a weights file, <c>*.safetensors</c>, of a HeadsNet, FaceNet1, FaceNet3 or FaceNetPca (its manifest is embedded);</item>
/// <item>a job folder holding <c>manifest.json</c> (or that manifest itself): HeadsNet and FaceNet1/3 name their weights,
/// FaceNet2 its shards. Blob paths in it are resolved against the container root (the job folder's parent), then the job
/// folder itself, so a job folder copied anywhere loads. The manifest's SHA-256 is checked against every weights file.</item>
/// </list>
/// </summary>
public sealed class LocalModel : IDisposable
{
    private readonly IDisposable network;

    private LocalModel(TrainingModel kind, IDisposable network, IVolumePredictor? volumes, HeadsNetModel? heads, Guid? jobId, string source)
    {
        Kind = kind;
        this.network = network;
        Volumes = volumes;
        Heads = heads;
        JobId = jobId;
        Source = source;
    }

    public TrainingModel Kind { get; }
    public IVolumePredictor? Volumes { get; }
    public HeadsNetModel? Heads { get; }
    public Guid? JobId { get; }
    public string Source { get; }

    public string Description => JobId is { } id ? $"{Kind} job {id} ({Source})" : $"{Kind} ({Source})";

    public static LocalModel Load(string path)
    {
        TorchRuntime.Ensure("--model-file");
        if (Directory.Exists(path))
        {
            var manifest = Path.Combine(path, "manifest.json");
            if (!File.Exists(manifest)) throw new InputException($"{path} is a folder without manifest.json: give a job folder or a .safetensors file.");
            return LoadJob(manifest);
        }
        if (!File.Exists(path)) throw new InputException($"{path}: no such model file or job folder.");
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".safetensors" => LoadWeights(path),
            ".json" => LoadJob(path),
            _ => throw new InputException($"{path}: a model is a .safetensors file or a job folder with manifest.json."),
        };
    }

    private static LocalModel LoadWeights(string path)
    {
        var kind = SafeTensorsHeader.Read(path).Manifest?.Kind
            ?? throw new InputException($"{path} has no Heads model manifest in its metadata; it was not written by Heads.");
        using var stream = File.OpenRead(path);
        switch (kind)
        {
            case ModelKind.HeadsNet:
            {
                var model = HeadsNetModel.Load(stream);
                return new LocalModel(TrainingModel.HeadsNet, model, null, model, null, path);
            }
            case ModelKind.FaceNet1 or ModelKind.FaceNet3:
            {
                var model = FaceNetModel.Load(stream);
                return new LocalModel(kind == ModelKind.FaceNet1 ? TrainingModel.FaceNet1 : TrainingModel.FaceNet3, model, model, null, null, path);
            }
            case ModelKind.FaceNetPca:
            {
                var model = FaceNetPcaModel.Load(stream);
                return new LocalModel(TrainingModel.FaceNetPca, model, model, null, null, path);
            }
            default:
                throw new InputException($"{path} is one FaceNet2 shard (voxels {SafeTensorsHeader.Read(path).Manifest?.Voxels?.First}+{SafeTensorsHeader.Read(path).Manifest?.Voxels?.Count}), not a whole model: give the job folder with its manifest.json.");
        }
    }

    private static LocalModel LoadJob(string manifestPath)
    {
        JsonObject job;
        try
        {
            job = JsonNode.Parse(File.ReadAllBytes(manifestPath)) as JsonObject ?? throw new InputException($"{manifestPath}: a job manifest is a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InputException($"{manifestPath}: not valid JSON ({e.Message}).", e);
        }
        var modelText = Text(job, "model") ?? throw new InputException($"{manifestPath}: no 'model'; this is not a training job manifest (HeadsNet, FaceNet1, FaceNet2 or FaceNet3).");
        if (!TrainingModels.TryParse(modelText, out var kind))
            throw new InputException($"{manifestPath}: model '{modelText}' is not one of {TrainingModels.Names}.");
        Guid? jobId = Guid.TryParse(Text(job, "jobId"), out var id) ? id : null;
        var folder = Path.GetDirectoryName(Path.GetFullPath(manifestPath))!;

        if (kind == TrainingModel.FaceNet2)
        {
            var model = new FaceNet2Model();
            try
            {
                if (Find(job, "shards") is not JsonArray shards || shards.Count == 0) throw new InputException($"{manifestPath}: a FaceNet2 job needs a non-empty 'shards' array.");
                foreach (var node in shards)
                {
                    if (node is not JsonObject s) throw new InputException($"{manifestPath}: every shard must be an object.");
                    var weights = Text(s, "weights") ?? Text(s, "weightsBlob") ?? throw new InputException($"{manifestPath}: a shard names no weights.");
                    ModelManifest? shardManifest = null;
                    if ((Text(s, "manifest") ?? Text(s, "manifestBlob")) is { } shardManifestPath)
                        shardManifest = ModelManifest.FromJson(File.ReadAllText(Resolve(folder, shardManifestPath, manifestPath)));
                    using var stream = File.OpenRead(Resolve(folder, weights, manifestPath));
                    model.Add(VoxelShard.Load(stream, shardManifest));
                }
                if (!model.IsComplete)
                {
                    var gaps = model.MissingRanges;
                    throw new InputException($"{manifestPath}: the shards leave {gaps.Sum(g => g.Count)} voxels uncovered, first {gaps[0].First}..{gaps[0].First + gaps[0].Count - 1}.");
                }
                return new LocalModel(kind, model, model, null, jobId, manifestPath);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        // The trainer writes "weights" as the engine manifest and "weightsBlob" as the file; ModelJobLayout writes
        // "weights" as the file and "modelManifest" as the engine manifest.
        var weightsPath = (Find(job, "weights") is JsonObject ? null : Text(job, "weights")) ?? Text(job, "weightsBlob")
            ?? throw new InputException($"{manifestPath}: a {kind} job needs a 'weights' file.");
        ModelManifest? engine = (Find(job, "modelManifest") ?? Find(job, "weights") as JsonObject) is JsonObject inline ? ModelManifest.FromJson(inline.ToJsonString()) : null;
        using (var stream = File.OpenRead(Resolve(folder, weightsPath, manifestPath)))
        {
            if (kind == TrainingModel.HeadsNet)
            {
                var heads = HeadsNetModel.Load(stream, engine);
                return new LocalModel(kind, heads, null, heads, jobId, manifestPath);
            }
            if (kind == TrainingModel.FaceNetPca)
            {
                var pca = FaceNetPcaModel.Load(stream, engine);
                return new LocalModel(kind, pca, pca, null, jobId, manifestPath);
            }
            var faces = FaceNetModel.Load(stream, engine);
            var expected = kind == TrainingModel.FaceNet1 ? ModelKind.FaceNet1 : ModelKind.FaceNet3;
            if (faces.Manifest.Kind != expected)
            {
                faces.Dispose();
                throw new InputException($"{manifestPath} says {kind}, but {weightsPath} holds a {faces.Manifest.Kind} network.");
            }
            return new LocalModel(kind, faces, faces, null, jobId, manifestPath);
        }
    }

    /// <summary>A blob path from a manifest, as a local file: container-relative (the job folder's parent), then job-relative.</summary>
    private static string Resolve(string jobFolder, string blobPath, string manifestPath)
    {
        var trimmed = blobPath.TrimStart('/');
        if (trimmed.StartsWith("models/", StringComparison.Ordinal)) trimmed = trimmed["models/".Length..];
        var candidates = new List<string> { Path.Combine(Path.GetDirectoryName(jobFolder) ?? jobFolder, trimmed), Path.Combine(jobFolder, trimmed) };
        int slash = trimmed.IndexOf('/');
        if (slash > 0) candidates.Add(Path.Combine(jobFolder, trimmed[(slash + 1)..]));
        foreach (var candidate in candidates)
            if (File.Exists(candidate)) return candidate;
        throw new InputException($"{manifestPath} names '{blobPath}', but no such file exists (tried {string.Join(", ", candidates.Distinct())}).");
    }

    private static JsonNode? Find(JsonObject o, string name)
    {
        if (o.TryGetPropertyValue(name, out var exact)) return exact;
        foreach (var (key, value) in o)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    private static string? Text(JsonObject o, string name) =>
        Find(o, name) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public void Dispose() => network.Dispose();
}
