using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;

namespace Inference.Service.Serving;

/// <summary>A job the last scan found but did not serve, and why (a load failure, or older than the newest kept).</summary>
public sealed record SkippedModel(string Blob, Guid? JobId, TrainingModel? Model, DateTimeOffset? CreatedAt, string Reason);

/// <summary>An immutable view of what is served: models newest first, plus what the scan skipped.</summary>
public sealed class ModelSnapshot
{
    public static ModelSnapshot Initial { get; } = new([], [], null, 0);

    public ModelSnapshot(IReadOnlyList<ServedModel> models, IReadOnlyList<SkippedModel> skipped, DateTimeOffset? scannedAt, long generation, ModelPins? pins = null)
    {
        Models = models.OrderByDescending(m => m.Job.CreatedAt).ThenBy(m => m.JobId).ToArray();
        Skipped = skipped;
        ScannedAt = scannedAt;
        Generation = generation;
        Pins = pins ?? new ModelPins();
    }

    /// <summary>The defaults pinned by hand when the snapshot was made.</summary>
    public ModelPins Pins { get; }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<ServedModel> Models { get; }

    public IReadOnlyList<SkippedModel> Skipped { get; }

    /// <summary>When storage was last scanned; null until the first scan finishes.</summary>
    public DateTimeOffset? ScannedAt { get; }

    public long Generation { get; }

    public ServedModel? Find(Guid jobId) => Models.FirstOrDefault(m => m.JobId == jobId);

    public ServedModel? Newest(TrainingModel kind) => Models.FirstOrDefault(m => m.Kind == kind);

    /// <summary>
    /// The default of a family: the pinned model when it is served, else the newest model the promotion gate promoted (or
    /// that predates the gate). Null when every served model of the family was refused by the gate.
    /// </summary>
    public ServedModel? Default(ModelFamily family)
    {
        bool InFamily(ServedModel m) => family == ModelFamily.Volumes ? m.Job.IsFaceNet : m.Kind == TrainingModel.HeadsNet;
        if (Pins.For(family) is Guid pinned && Find(pinned) is { } pinnedModel && InFamily(pinnedModel)) return pinnedModel;
        return Models.FirstOrDefault(m => InFamily(m) && m.Job.IsDefaultCandidate);
    }

    /// <summary>The default for predictions from faces.</summary>
    public ServedModel? DefaultFaceNet() => Default(ModelFamily.Volumes);
}

/// <summary>
/// Holds the current <see cref="ModelSnapshot"/>. Readers take it without locks; a reload builds a new snapshot and
/// swaps it in atomically, then retires the models it no longer contains (they are disposed when their last lease ends).
/// </summary>
public sealed class ModelRegistry : IDisposable
{
    private ModelSnapshot current = ModelSnapshot.Initial;

    public ModelSnapshot Current => Volatile.Read(ref current);

    /// <summary>Leases the model <paramref name="select"/> picks from the current snapshot, or null when it picks none.</summary>
    public ModelLease? Acquire(Func<ModelSnapshot, ServedModel?> select)
    {
        ArgumentNullException.ThrowIfNull(select);
        while (true)
        {
            var snapshot = Current;
            var model = select(snapshot);
            if (model is null) return null;
            if (model.TryAcquire()) return new ModelLease(model);
            // Retired and drained between reading the snapshot and acquiring: a newer snapshot is already in place.
        }
    }

    /// <summary>Makes <paramref name="next"/> current and retires the models of the previous snapshot it dropped.</summary>
    public void Publish(ModelSnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var previous = Interlocked.Exchange(ref current, next);
        foreach (var model in previous.Models)
            if (!next.Models.Contains(model)) model.Retire();
    }

    public void Dispose()
    {
        var last = Interlocked.Exchange(ref current, ModelSnapshot.Initial);
        foreach (var model in last.Models) model.Retire();
    }
}
