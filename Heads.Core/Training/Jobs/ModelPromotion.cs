using System.Text.Json;
using Heads.Core.Contracts;
using Heads.Core.Models;

namespace Heads.Core.Training.Jobs;

/// <summary>
/// Whether a trained model may become the default, decided once when it is committed: a face model must beat both
/// baselines on held-out heads and, scored on the same heads, not be worse than the current default; HeadsNet must meet
/// its bar. A model that is not promoted is still stored, listed and selectable by id, with <see cref="Reason"/> saying why.
/// </summary>
public sealed record ModelPromotion
{
    public required bool Promoted { get; init; }
    public required string Reason { get; init; }
    /// <summary>The default this model was compared with on its held-out heads, if there was one.</summary>
    public Guid? ComparedWith { get; init; }
    /// <summary>This model − that default on the held-out heads: IoU at &gt; 0 and MAE.</summary>
    public ScoreDifference? VersusDefaultIoU { get; init; }
    public ScoreDifference? VersusDefaultMae { get; init; }
}

/// <summary>Which family of models a default serves.</summary>
public enum ModelFamily
{
    /// <summary>Face models: FaceNet1, FaceNet2, FaceNet3, FaceNetPca.</summary>
    Volumes,
    /// <summary>HeadsNet.</summary>
    Heads,
}

/// <summary>
/// models/pins.json: defaults chosen by hand, which override promotion until unpinned. Written by the inference service
/// (POST/DELETE /api/v1/models/…/pin), read by it and by the trainer's promotion gate.
/// </summary>
public sealed record ModelPins
{
    public const string BlobName = "pins.json";

    public Guid? Volumes { get; init; }
    public Guid? Heads { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    public Guid? For(ModelFamily family) => family == ModelFamily.Volumes ? Volumes : Heads;

    public ModelPins With(ModelFamily family, Guid? jobId) =>
        (family == ModelFamily.Volumes ? this with { Volumes = jobId } : this with { Heads = jobId }) with { UpdatedAt = DateTimeOffset.UtcNow };

    public static ModelFamily FamilyOf(TrainingModel model) => model == TrainingModel.HeadsNet ? ModelFamily.Heads : ModelFamily.Volumes;

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ModelManifest.JsonOptions);

    public static ModelPins Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelPins>(json, ModelManifest.JsonOptions) ?? new ModelPins();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{BlobName} is not valid JSON: {e.Message}", e);
        }
    }
}
