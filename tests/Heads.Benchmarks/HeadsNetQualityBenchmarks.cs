using System.Diagnostics;
using System.Globalization;
using Heads.Core.Datasets;
using Heads.Core.Geometry;
using Heads.Core.Models;
using Heads.Core.Synthetic;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Benchmarks;

/// <summary>
/// HeadsNet quality at the pipeline's settings: the pipeline's synthetic heads (ids syn-1.., held-out heads dropped as the
/// dataset service drops them) encoded in-process, then the original encoding and the new default trained on one torch
/// thread (as one trainer replica) and judged by <see cref="HeadsNetEvaluation"/>. Baseline: the original encoding.
/// For experiments, HEADS_BENCH_HEADSNET_{HEADS,EPOCHS,SEED_OCTAVES,DIRECTION_OCTAVES,LR,BATCH,ONLY} override the settings.
/// </summary>
public sealed class HeadsNetQualityBenchmarks : IBenchmarkSuite
{
    /// <summary>Dataset:Pipeline:HeadsNetHeads (Dataset.Service's DatasetPipelineOptions); this project does not reference the service.</summary>
    public const int PipelineHeads = 40;

    /// <summary>Trainer:Pipeline:HeadsNet's epochs (Trainer.Service's TrainerPipelineOptions).</summary>
    public const int PipelineEpochs = 10;

    public string Name => "headsnet-quality";

    public void Run(BenchmarkReport report)
    {
        int heads = Setting("HEADS", PipelineHeads);
        int epochs = Setting("EPOCHS", PipelineEpochs);
        string only = Environment.GetEnvironmentVariable("HEADS_BENCH_HEADSNET_ONLY") ?? "";
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            var sw = Stopwatch.StartNew();
            var set = Encode(heads);
            report.Note($"{set.Count:N0} rows from {HeadsNetEvaluation.HeadsOf(set).Count} training heads of {heads} generated (held-out dropped) in {sw.Elapsed.TotalSeconds:F1} s; " +
                        $"{epochs} epochs, 1 torch thread, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

            var sphere = new HeadsNetOptions
            {
                Encoding = HeadsNetEncoding.SphereFourier with
                {
                    SeedOctaves = Setting("SEED_OCTAVES", HeadsNetEncoding.SphereFourier.SeedOctaves),
                    DirectionOctaves = Setting("DIRECTION_OCTAVES", HeadsNetEncoding.SphereFourier.DirectionOctaves),
                },
            };
            // The original at its own settings (3 epochs, Adam 1e-3, every row): the baseline as the original trained it.
            TrainedRun? original = only is "" or "original" ? Train(report, set, HeadsNetOptions.Original, HeadsNetOptions.Original.Epochs) : null;
            TrainedRun? fourier = only is "" or "new" ? Train(report, set, sphere, epochs) : null;
            if (original is { } o && fourier is { } f)
            {
                report.Figure("new vs original: median Chamfer", f.Quality.MedianChamfer * 1000, "‰ extent", o.Quality.MedianChamfer * 1000, "original");
                report.Figure("new vs original: median coverage", f.Quality.MedianCoverage * 100, "%", o.Quality.MedianCoverage * 100, "original");
                report.Figure("new vs original: training", f.Seconds, "s", o.Seconds, "original");
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private sealed record TrainedRun(HeadsNetQualityReport Quality, double Seconds);

    private static TrainedRun Train(BenchmarkReport report, HeadsNetTrainingSet set, HeadsNetOptions options, int epochs)
    {
        options = options with
        {
            Epochs = epochs,
            Threads = 1,
            BatchSize = Setting("BATCH", options.BatchSize),
            Optimizer = options.Optimizer with { LearningRate = SettingDouble("LR", options.Optimizer.LearningRate) },
        };
        string name = options.Encoding.Kind == HeadsNetEncodingKind.Original
            ? "original (2 inputs)"
            : $"{options.Encoding.Kind} ({options.Encoding.Width} inputs: {options.Encoding.DirectionOctaves} direction, {options.Encoding.SeedOctaves} seed octaves)";
        var sw = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var model = HeadsNetTrainer.Train(set, options);
        double seconds = sw.Elapsed.TotalSeconds;
        // The cores are shared: CPU seconds say what an idle core would take (training runs on one thread).
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        sw.Restart();
        var q = HeadsNetEvaluation.Evaluate(model, set);
        int rows = options.MergeSharedVertices ? HeadsNetTrainer.MergeSharedVertices(set.Inputs, set.Targets).Inputs.Length / 2 : set.Count;
        double evaluation = sw.Elapsed.TotalSeconds;
        report.Figure($"{name}: training", seconds, "s");
        report.Figure($"{name}: training CPU time", cpuSeconds, "s");
        report.Figure($"{name}: median Chamfer", q.MedianChamfer * 1000, "‰ extent");
        report.Figure($"{name}: median coverage at {HeadsNetQualityReport.CoverageRadius}", q.MedianCoverage * 100, "%");
        report.Figure($"{name}: median colour MAE", q.MedianColorMae, "/255");
        report.Figure($"{name}: median mid-seed Chamfer", (q.MedianMidSeedChamfer ?? double.NaN) * 1000, "‰ extent");
        report.Figure($"{name}: max mid-seed Chamfer", (q.MaxMidSeedChamfer ?? double.NaN) * 1000, "‰ extent");
        double sampling = BenchmarkReport.Time(() => model.Sample(0.5f, HeadsNetModel.DefaultPoints), minSeconds: 2.0);
        report.Figure($"{name}: 200,000-point head", sampling * 1e3, "ms");
        report.Note($"{name}: {rows:N0} training rows{(options.MergeSharedVertices ? " (shared vertices merged)" : "")}, batch {options.BatchSize}, " +
                    $"learning rate {options.Optimizer.LearningRate:G3} to {options.FinalLearningRateFraction:P0} of it; final loss {model.Manifest.EpochLosses[^1]:G4}; evaluation {evaluation:F1} s; " +
                    (q.MeetsBar ? "meets the bar" : q.Reason));
        return new TrainedRun(q, seconds);
    }

    /// <summary>The pipeline's heads as the dataset service encodes them (one row per mesh vertex).</summary>
    private static HeadsNetTrainingSet Encode(int heads)
    {
        var generator = new HeadGenerator();
        var encoder = new HeadsNetEncoder();
        var ids = Enumerable.Range(1, heads).Select(i => "syn-" + i.ToString(CultureInfo.InvariantCulture))
            .Where(id => !HeldOutSplit.IsHeldOut(id, HeldOutSplit.DefaultFraction)).ToList();
        var rows = ids.AsParallel().AsOrdered().Select(id =>
        {
            var mesh = generator.Generate(ulong.Parse(id[4..], CultureInfo.InvariantCulture));
            var r = new float[HeadsNetEncoder.RowCount(mesh) * HeadsNetRow.Floats];
            encoder.Encode(mesh, HeadSeed.For(id), r);
            return r;
        }).ToList();
        long n = rows.Sum(r => (long)r.Length / HeadsNetRow.Floats);
        var inputs = new float[n * 2];
        var targets = new float[n * 6];
        long row = 0;
        foreach (var r in rows)
            for (int k = 0; k < r.Length; k += HeadsNetRow.Floats, row++)
            {
                r.AsSpan(k, 2).CopyTo(inputs.AsSpan((int)(row * 2), 2));
                r.AsSpan(k + 2, 6).CopyTo(targets.AsSpan((int)(row * 6), 6));
            }
        return new HeadsNetTrainingSet(inputs, targets, "headsnet-quality");
    }

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable("HEADS_BENCH_HEADSNET_" + name), CultureInfo.InvariantCulture, out int v) ? v : fallback;

    private static double SettingDouble(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable("HEADS_BENCH_HEADSNET_" + name), CultureInfo.InvariantCulture, out double v) ? v : fallback;
}
