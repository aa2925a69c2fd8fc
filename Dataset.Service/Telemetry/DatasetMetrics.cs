using System.Diagnostics.Metrics;

namespace Dataset.Service.Telemetry;

/// <summary>The dataset service's instruments on the shared Heads meter.</summary>
public static class DatasetMetrics
{
    public static readonly Counter<long> HeadsProcessed = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.dataset.heads_processed", "{head}", "Heads turned into samples");
    public static readonly Counter<long> HeadsSkipped = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.dataset.heads_skipped", "{head}", "HeadScraped events for heads already processed");
    public static readonly Counter<long> Rejects = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.dataset.rejects", "{head}", "Heads rejected for a corrupt mesh or photo");
    public static readonly Histogram<double> HeadDuration = HeadsTelemetry.Meter.CreateHistogram<double>(
        "heads.dataset.head_duration", "s", "Time to fetch, sample and store one head");
    public static readonly Counter<long> BytesWritten = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.dataset.bytes_written", "By", "Bytes written to storage (per-head samples and dataset files)");
    public static readonly Counter<long> DatasetsBuilt = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.dataset.datasets_built", "{dataset}", "Datasets committed");
    public static readonly Counter<long> BuildFailures = HeadsTelemetry.Meter.CreateCounter<long>(
        "heads.dataset.build_failures", "{dataset}", "Dataset builds that failed");
    public static readonly Histogram<double> BuildDuration = HeadsTelemetry.Meter.CreateHistogram<double>(
        "heads.dataset.build_duration", "s", "Time to build and commit one dataset");
    public static readonly Histogram<long> DatasetSize = HeadsTelemetry.Meter.CreateHistogram<long>(
        "heads.dataset.size", "By", "Total bytes of a committed dataset's files");
    public static readonly Histogram<long> DatasetRows = HeadsTelemetry.Meter.CreateHistogram<long>(
        "heads.dataset.rows", "{row}", "Rows (train + held-out) of a committed dataset");
}
