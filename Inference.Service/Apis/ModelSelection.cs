using Heads.Core.Contracts;
using Inference.Service.Serving;

namespace Inference.Service.Apis;

/// <summary>Turns the <c>model</c> query parameter into a served model, or into the problem response that says why not.</summary>
public static class ModelSelection
{
    /// <summary>The models an endpoint can use: FaceNets make volumes, HeadsNet makes point clouds.</summary>
    public enum Family
    {
        Volumes,
        Heads,
    }

    /// <summary>How to get a model when there is none: the 503 detail.</summary>
    public static string TrainingHint(TrainingModel kind) =>
        $"Train one: POST /api/v1/training-jobs on the trainer with {{\"model\":\"{kind}\",\"datasetId\":\"<id from GET /api/v1/datasets>\"}}, " +
        "or run the default pipeline (./run.sh scrapes synthetic heads, builds a dataset and trains). " +
        "This service loads it as soon as ModelTrained arrives (or on POST /api/v1/models/reload).";

    /// <summary>The model <paramref name="name"/> picks in <paramref name="snapshot"/>, or the problem to answer with.</summary>
    public static (ServedModel? Model, IResult? Problem) Resolve(ModelSnapshot snapshot, string? name, Family family)
    {
        if (snapshot.ScannedAt is null)
            return (null, Results.Problem(statusCode: 503, title: "Models are still loading",
                detail: "The service is reading the trained models from storage; retry in a few seconds.",
                extensions: new Dictionary<string, object?> { ["retryAfterSeconds"] = 5 }));

        var wanted = string.IsNullOrWhiteSpace(name) ? null : name.Trim();
        if (wanted is null)
        {
            var model = family == Family.Volumes ? snapshot.DefaultFaceNet() : snapshot.Default(Heads.Core.Training.Jobs.ModelFamily.Heads);
            if (model is not null) return (model, null);
            var refused = snapshot.Models.FirstOrDefault(m => family == Family.Volumes ? m.Job.IsFaceNet : m.Kind == TrainingModel.HeadsNet);
            if (refused is not null)
                return (null, Results.Problem(statusCode: 503, title: family == Family.Volumes ? "No face model has been promoted" : "No HeadsNet model has been promoted",
                    detail: $"Trained models are served but none passed the promotion gate (newest, {refused.Kind} {refused.JobId}: {refused.Job.PromotionReason}). " +
                            $"Ask for one by kind or job id (model={refused.Kind.ToString().ToLowerInvariant()} or model={refused.JobId}), or pin one: POST /api/v1/models/{refused.JobId}/pin."));
            return (null, NoModel(family == Family.Volumes ? "No FaceNet model has been trained yet." : "No HeadsNet model has been trained yet.",
                family == Family.Volumes ? TrainingModel.FaceNetPca : TrainingModel.HeadsNet));
        }

        if (TrainingModels.TryParse(wanted, out var kind))
        {
            if (WrongFamily(kind, family) is { } wrong) return (null, wrong);
            var model = snapshot.Newest(kind);
            return model is not null ? (model, null) : (null, NoModel($"No {kind} model has been trained yet.", kind));
        }

        if (Guid.TryParse(wanted, out var jobId))
        {
            var model = snapshot.Find(jobId);
            if (model is null)
            {
                var skipped = snapshot.Skipped.FirstOrDefault(s => s.JobId == jobId);
                return (null, Results.Problem(statusCode: 404, title: "Unknown model",
                    detail: skipped is not null
                        ? $"Job {jobId} is in storage but not served: {skipped.Reason}"
                        : $"No model from job {jobId} is loaded. GET /api/v1/models lists the served models."));
            }
            return WrongFamily(model.Kind, family) is { } wrong ? (null, wrong) : (model, null);
        }

        return (null, Results.Problem(statusCode: 404, title: "Unknown model",
            detail: $"'{wanted}' is neither a model kind ({string.Join(", ", Enum.GetNames<TrainingModel>().Select(n => n.ToLowerInvariant()))}) nor a job id. GET /api/v1/models lists the served models."));
    }

    /// <summary>Leases the model <paramref name="name"/> picks, re-resolving if a reload retires it meanwhile.</summary>
    public static (ModelLease? Lease, IResult? Problem) Acquire(ModelRegistry registry, string? name, Family family)
    {
        IResult? problem = null;
        var lease = registry.Acquire(snapshot =>
        {
            var (model, why) = Resolve(snapshot, name, family);
            problem = why;
            return model;
        });
        return (lease, lease is null ? problem : null);
    }

    private static IResult? WrongFamily(TrainingModel kind, Family family) => (kind, family) switch
    {
        (TrainingModel.HeadsNet, Family.Volumes) => Results.Problem(statusCode: 400, title: "Not a FaceNet model",
            detail: "HeadsNet makes point clouds from a seed, not volumes from faces: use GET /api/v1/heads/random."),
        (not TrainingModel.HeadsNet, Family.Heads) => Results.Problem(statusCode: 400, title: "Not a HeadsNet model",
            detail: $"{kind} makes volumes from faces: use POST /api/v1/faces/predictions."),
        _ => null,
    };

    private static IResult NoModel(string title, TrainingModel kind) =>
        Results.Problem(statusCode: 503, title: title, detail: TrainingHint(kind));
}
