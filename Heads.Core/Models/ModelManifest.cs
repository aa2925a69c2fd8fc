using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Heads.Core.Models;

public enum ModelKind
{
    HeadsNet,
    FaceNet1,
    FaceNet3,
    /// <summary>A block of FaceNet2 voxel networks (plus constants for pruned voxels).</summary>
    FaceNet2Shard,
    /// <summary>An MLP from the face to the coefficients of the training volumes' principal components, decoded by that fixed basis.</summary>
    FaceNetPca,
}

/// <summary>The voxels a FaceNet2 shard covers: [First, First + Count), of which Trained have networks and Constant are stored as values.</summary>
public sealed record VoxelRange(int First, int Count, int Trained, int Constant);

/// <summary>
/// What a saved model is, beside its safetensors weights: kind, architecture, training hyper-parameters, dataset, voxel range,
/// per-epoch losses and the SHA-256 of the weights file. Inference needs only this and the weights; no optimiser state is kept.
/// </summary>
public sealed record ModelManifest
{
    public const int CurrentFormatVersion = 1;

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required ModelKind Kind { get; init; }
    public required DenseArchitecture Architecture { get; init; }
    /// <summary>The training options as JSON (optimiser, batch, epochs, sample limit, seed, …).</summary>
    public JsonObject? HyperParameters { get; init; }
    public string? DatasetId { get; init; }
    public int TrainingSamples { get; init; }
    public VoxelRange? Voxels { get; init; }
    /// <summary>HeadsNet: how (seed, sphere coordinate) becomes the network's inputs; null (every model stored before it existed) is Original.</summary>
    public HeadsNetEncoding? Encoding { get; init; }
    /// <summary>Mean training loss of each epoch (for a shard, averaged over its trained voxels).</summary>
    public IReadOnlyList<double> EpochLosses { get; init; } = [];
    /// <summary>Loss on the validation heads (training data the model did not fit) after each epoch; empty when none were set aside.</summary>
    public IReadOnlyList<double> ValidationLosses { get; init; } = [];
    /// <summary>The epoch whose weights were kept (the lowest validation loss, for models that keep their best epoch); null: the last.</summary>
    public int? KeptEpoch { get; init; }
    /// <summary>Lower-case hex SHA-256 of the weights file; empty until saved.</summary>
    public string WeightsSha256 { get; init; } = "";
    public long WeightsBytes { get; init; }

    public void Write(Stream stream) => JsonSerializer.Serialize(stream, this, JsonOptions);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static ModelManifest Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return Validate(JsonSerializer.Deserialize<ModelManifest>(stream, JsonOptions));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"The model manifest is not valid JSON: {e.Message}", e);
        }
    }

    public static ModelManifest FromJson(string json)
    {
        try
        {
            return Validate(JsonSerializer.Deserialize<ModelManifest>(json, JsonOptions));
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"The model manifest is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Throws unless this manifest describes one of <paramref name="kinds"/>.</summary>
    public void ExpectKind(params ModelKind[] kinds)
    {
        if (!kinds.Contains(Kind))
            throw new ModelFormatException($"Expected a {string.Join(" or ", kinds)} model, but the manifest describes a {Kind} model ({Architecture}).");
    }

    private static ModelManifest Validate(ModelManifest? manifest)
    {
        if (manifest is null) throw new ModelFormatException("The model manifest is empty.");
        if (manifest.FormatVersion != CurrentFormatVersion)
            throw new ModelFormatException($"Model manifest format {manifest.FormatVersion} is not supported (this build reads {CurrentFormatVersion}).");
        if (manifest.Architecture is null) throw new ModelFormatException("The model manifest has no architecture.");
        try
        {
            manifest.Architecture.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"The model manifest's architecture is invalid: {e.Message}", e);
        }
        try
        {
            manifest.Encoding?.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ModelFormatException($"The model manifest's HeadsNet encoding is invalid: {e.Message}", e);
        }
        return manifest;
    }
}

/// <summary>A model file or manifest that is not what the caller asked for: wrong kind, wrong shape, bad checksum, unreadable.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message) : base(message) { }
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
