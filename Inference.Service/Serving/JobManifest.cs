using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Contracts;
using Heads.Core.Models;

namespace Inference.Service.Serving;

/// <summary>One FaceNet2 shard a job manifest names: voxels [First, First + Count), its weights and (optionally) its manifest blob.</summary>
public sealed record ShardReference(int First, int Count, string Weights, string? Manifest);

/// <summary>
/// A trained job's <c>{jobId}/manifest.json</c> in the <c>models</c> container, as the trainer writes it:
/// <c>jobId</c>, <c>model</c>, <c>datasetId</c>, <c>createdAt</c>, optional <c>quality</c>, and either <c>weights</c>
/// (+ optional <c>modelManifest</c>, the engine's <see cref="ModelManifest"/>) or <c>shards</c> (FaceNet2).
/// Parsing is tolerant: property names in any case, a missing job id or date falls back to the blob's folder and
/// last-modified time, unknown properties are kept in <see cref="Document"/> and shown as they are.
/// </summary>
public sealed record JobManifest
{
    public required Guid JobId { get; init; }
    public required TrainingModel Model { get; init; }
    public string? DatasetId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public JsonObject? Quality { get; init; }
    public string? Weights { get; init; }
    public ModelManifest? ModelManifest { get; init; }
    public IReadOnlyList<ShardReference> Shards { get; init; } = [];

    /// <summary>The manifest blob's name in the <c>models</c> container.</summary>
    public required string BlobName { get; init; }

    /// <summary>The manifest blob's ETag: a rewritten manifest is a new model.</summary>
    public required string ETag { get; init; }

    /// <summary>The whole manifest as stored.</summary>
    public required JsonObject Document { get; init; }

    public bool IsFaceNet => Model is TrainingModel.FaceNet1 or TrainingModel.FaceNet2 or TrainingModel.FaceNet3 or TrainingModel.FaceNetPca;

    /// <summary>The promotion gate's verdict: true or false when the trainer judged the model, null for manifests written before the gate.</summary>
    public bool? Promoted { get; init; }

    /// <summary>Why the gate promoted the model or not.</summary>
    public string? PromotionReason { get; init; }

    /// <summary>May be a default: promoted, or from before the gate existed.</summary>
    public bool IsDefaultCandidate => Promoted != false;

    /// <summary>Reads a job manifest; throws <see cref="FormatException"/> naming the blob and the property at fault.</summary>
    public static JobManifest Parse(ReadOnlySpan<byte> json, string blobName, string etag, DateTimeOffset lastModified)
    {
        JsonObject document;
        try
        {
            document = JsonNode.Parse(json) as JsonObject ?? throw new FormatException($"{blobName}: a job manifest must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{blobName}: not valid JSON ({e.Message}).", e);
        }

        var folder = FolderOf(blobName);
        var jobText = Text(document, "jobId", blobName);
        Guid jobId;
        if (jobText is not null)
        {
            if (!Guid.TryParse(jobText, out jobId)) throw new FormatException($"{blobName}: jobId '{jobText}' is not a GUID.");
        }
        else if (!Guid.TryParse(LastSegment(folder), out jobId))
        {
            throw new FormatException($"{blobName}: no jobId, and the folder '{folder}' is not a job id either.");
        }

        var modelText = Text(document, "model", blobName) ?? throw new FormatException($"{blobName}: 'model' is missing (HeadsNet, FaceNet1, FaceNet2 or FaceNet3).");
        if (!TrainingModels.TryParse(modelText, out var model))
            throw new FormatException($"{blobName}: model '{modelText}' is not one of {TrainingModels.Names}.");

        var created = lastModified;
        if (Text(document, "createdAt", blobName) is { } createdText
            && !DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out created))
            throw new FormatException($"{blobName}: createdAt '{createdText}' is not a date.");

        ModelManifest? modelManifest = null;
        // The trainer's TrainingJobManifest names the engine manifest "weights" (an object) and the blob "weightsBlob".
        var engineNode = Find(document, "modelManifest") ?? (Find(document, "weights") as JsonObject);
        if (engineNode is JsonObject engine)
        {
            try
            {
                modelManifest = ModelManifest.FromJson(engine.ToJsonString());
            }
            catch (ModelFormatException e)
            {
                throw new FormatException($"{blobName}: '{(Find(document, "modelManifest") is null ? "weights" : "modelManifest")}' must be a blob name or the engine's model manifest ({e.Message})", e);
            }
        }

        var shards = new List<ShardReference>();
        if (Find(document, "shards") is { } shardsNode)
        {
            if (shardsNode is not JsonArray array) throw new FormatException($"{blobName}: 'shards' must be an array.");
            for (int i = 0; i < array.Count; i++)
            {
                if (array[i] is not JsonObject s) throw new FormatException($"{blobName}: shards[{i}] must be an object.");
                var where = $"{blobName}: shards[{i}]";
                // Both spellings: {first, count, weights, manifest} and the trainer's {firstVoxel, voxelCount, weightsBlob, manifestBlob}.
                var firstName = Find(s, "first") is null && Find(s, "firstVoxel") is not null ? "firstVoxel" : "first";
                var countName = Find(s, "count") is null && Find(s, "voxelCount") is not null ? "voxelCount" : "count";
                shards.Add(new ShardReference(
                    Integer(s, firstName, where),
                    Integer(s, countName, where),
                    Text(s, "weights", where) ?? Text(s, "weightsBlob", where) ?? throw new FormatException($"{where} has no 'weights' blob."),
                    Text(s, "manifest", where) ?? Text(s, "manifestBlob", where)));
            }
        }

        var weights = Find(document, "weights") is JsonObject ? Text(document, "weightsBlob", blobName) : Text(document, "weights", blobName) ?? Text(document, "weightsBlob", blobName);
        if (model == TrainingModel.FaceNet2)
        {
            if (shards.Count == 0) throw new FormatException($"{blobName}: a FaceNet2 job needs a non-empty 'shards' array.");
        }
        else if (weights is null)
        {
            throw new FormatException($"{blobName}: a {model} job needs a 'weights' blob.");
        }

        bool? promoted = null;
        string? promotionReason = null;
        if (Find(document, "promotion") is JsonObject promotion)
        {
            promoted = Find(promotion, "promoted") is JsonValue p && p.TryGetValue<bool>(out var b)
                ? b
                : throw new FormatException($"{blobName}: 'promotion.promoted' must be true or false.");
            promotionReason = Text(promotion, "reason", blobName + ": promotion");
        }

        return new JobManifest
        {
            Promoted = promoted,
            PromotionReason = promotionReason,
            JobId = jobId,
            Model = model,
            DatasetId = Text(document, "datasetId", blobName),
            CreatedAt = created,
            Quality = Find(document, "quality") as JsonObject,
            Weights = weights,
            ModelManifest = modelManifest,
            Shards = shards,
            BlobName = blobName,
            ETag = etag,
            Document = document,
        };
    }

    /// <summary>The folder of a blob name, without the trailing slash ("" at the root).</summary>
    public static string FolderOf(string blobName)
    {
        int slash = blobName.LastIndexOf('/');
        return slash < 0 ? "" : blobName[..slash];
    }

    private static string LastSegment(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static JsonNode? Find(JsonObject o, string name)
    {
        if (o.TryGetPropertyValue(name, out var exact)) return exact;
        foreach (var (key, value) in o)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    private static string? Text(JsonObject o, string name, string where)
    {
        var node = Find(o, name);
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is JsonValue n && n.GetValueKind() == JsonValueKind.Number) return n.ToJsonString();
        throw new FormatException($"{where}: '{name}' must be a string, not {node.ToJsonString()}.");
    }

    private static int Integer(JsonObject o, string name, string where)
    {
        var node = Find(o, name) ?? throw new FormatException($"{where} has no '{name}'.");
        if (node is JsonValue v && v.TryGetValue<int>(out var i)) return i;
        if (node is JsonValue s && s.TryGetValue<string>(out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out i)) return i;
        throw new FormatException($"{where}: '{name}' must be an integer, not {node.ToJsonString()}.");
    }
}
