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
        var summary = $"IoU {Scores("occupancyIoU", "F3")}, grayscale MAE {Scores("grayscaleMae", "F2")} on {Progress.Number(quality, "heldOutCount")} heads{verdict}";
        return Details(quality) is { Length: > 0 } details ? summary + Environment.NewLine + details : summary;
    }

    /// <summary>IoU at each predictor's validation threshold and the paired bootstrap intervals of the differences, one line each.</summary>
    public static string Details(JsonNode quality)
    {
        var lines = new List<string>();
        string? AtThreshold(string who) => Progress.Number(quality[who], "thresholdIoU") is { } v && double.IsFinite(v)
            ? string.Create(CultureInfo.InvariantCulture, $"{v:F3} (>{Progress.Number(quality[who], "threshold"):F0})")
            : null;
        if (AtThreshold("model") is { } model)
            lines.Add($"  IoU at the validation threshold: {model}, ridge {AtThreshold("ridge")}, mean head {AtThreshold("meanHead")}");
        foreach (var name in new[] { "versusRidge", "versusMeanHead" })
        {
            if (quality[name] is not JsonObject c) continue;
            lines.Add($"  vs {Progress.Text(c, "baseline")}: ΔIoU(>0) {Interval(c["occupancyIoU"])}, ΔIoU(thr) {Interval(c["thresholdIoU"])}, ΔMAE {Interval(c["grayscaleMae"])} (95% paired bootstrap)");
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>"+0.058 [+0.045, +0.071]".</summary>
    public static string Interval(JsonNode? difference) => difference is null
        ? "?"
        : string.Create(CultureInfo.InvariantCulture, $"{Progress.Number(difference, "mean"):+0.000;-0.000} [{Progress.Number(difference, "low"):+0.000;-0.000}, {Progress.Number(difference, "high"):+0.000;-0.000}]");

    /// <summary>"promoted: …" / "not promoted: …" from a manifest's or job's promotion, or null.</summary>
    public static string? Promotion(JsonNode? promotion) => Progress.Text(promotion, "reason");
}
