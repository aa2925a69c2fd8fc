using System.Globalization;
using System.Text.Json.Nodes;

namespace Heads.Cli.Services;

/// <summary>A FaceNet job's held-out quality report (the trainer's QualityReport: the model beside its two baselines) in words.</summary>
public static class HeldOutQuality
{
    public static double? ModelIoU(JsonNode? quality) => Progress.Number(quality?["model"], "occupancyIoU");

    /// <summary>"IoU 0.412 (mean head 0.398, ridge 0.401), grayscale MAE 9.81 (…) on 20 heads: beats both baselines"; the JSON as it is when it is not such a report.</summary>
    public static string Describe(JsonNode quality)
    {
        if (ModelIoU(quality) is not { } iou) return quality.ToJsonString();
        string Scores(string name, string format) => string.Create(CultureInfo.InvariantCulture,
            $"{Progress.Number(quality["model"], name)?.ToString(format, CultureInfo.InvariantCulture)} (mean head {Progress.Number(quality["meanHead"], name)?.ToString(format, CultureInfo.InvariantCulture)}, ridge {Progress.Number(quality["ridge"], name)?.ToString(format, CultureInfo.InvariantCulture)})");
        var verdict = quality["beatsBaselines"] is JsonValue beats && beats.TryGetValue<bool>(out var b)
            ? b ? ": beats both baselines" : ": does not beat both baselines"
            : "";
        return $"IoU {Scores("occupancyIoU", "F3")}, grayscale MAE {Scores("grayscaleMae", "F2")} on {Progress.Number(quality, "heldOutCount")} heads{verdict}";
    }
}
