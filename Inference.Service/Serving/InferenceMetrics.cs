using System.Diagnostics.Metrics;
using Heads.Core.Contracts;

namespace Inference.Service.Serving;

/// <summary>The service's instruments on the shared <c>Heads</c> meter (exported to the dashboard).</summary>
public sealed class InferenceMetrics
{
    private readonly Histogram<double> requestDuration;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> loadDuration;
    private readonly Counter<long> loads;

    public InferenceMetrics(ModelRegistry registry)
    {
        var meter = HeadsTelemetry.Meter;
        requestDuration = meter.CreateHistogram<double>("heads.inference.request.duration", "s",
            "Inference request latency by endpoint, model kind, format and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        batchSize = meter.CreateHistogram<int>("heads.inference.batch.size", "{face}", "Faces per FaceNet forward pass.");
        loadDuration = meter.CreateHistogram<double>("heads.inference.model.load.duration", "s", "Time to load a model from storage.");
        loads = meter.CreateCounter<long>("heads.inference.model.loads", "{model}", "Model loads by kind and outcome.");
        meter.CreateObservableGauge("heads.inference.models.loaded", () =>
            registry.Current.Models.GroupBy(m => m.Kind).Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("model", g.Key.ToString()))),
            "{model}", "Models currently served, by kind.");
    }

    public void Request(string endpoint, TrainingModel? model, string format, int status, double seconds) =>
        requestDuration.Record(seconds,
            new KeyValuePair<string, object?>("endpoint", endpoint),
            new KeyValuePair<string, object?>("model", model?.ToString() ?? "none"),
            new KeyValuePair<string, object?>("format", format),
            new KeyValuePair<string, object?>("status", status));

    public void BatchRan(int faces) => batchSize.Record(faces);

    public void ModelLoaded(TrainingModel model, double seconds, string outcome)
    {
        loads.Add(1, new KeyValuePair<string, object?>("model", model.ToString()), new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome == "loaded") loadDuration.Record(seconds, new KeyValuePair<string, object?>("model", model.ToString()));
    }
}
