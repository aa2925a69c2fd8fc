using System.Diagnostics;
using System.Globalization;
using Heads.Core.Datasets;
using Heads.Core.Geometry.Ply;
using Heads.Core.Models;
using Heads.Core.Synthetic;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Benchmarks;

/// <summary>
/// Model quality as a user judges it, offline: the pipeline's synthetic heads (ids syn-1…syn-N, photographed and sampled as
/// the scraper and dataset service do, held out by the same id hash), each face model trained with the pipeline's settings,
/// and every model scored on the held-out heads beside the mean head and ridge regression (λ by cross-validation) with a
/// paired bootstrap 95% interval of each difference. HEADS_QUALITY_HEADS (default 500, as the pipeline) sets N, HEADS_QUALITY_HELD_OUT (default 0.2, as the pipeline) the held-out fraction, HEADS_QUALITY_MODELS
/// (default facenetpca,facenet3,facenet2; also pca-floor, pca-mse, facenet3-ea) the models, HEADS_QUALITY_PCA_* /
/// HEADS_QUALITY_*_EPOCHS override settings for experiments; the generated heads are cached under the temp folder.
/// </summary>
public sealed class QualityBenchmarks : IBenchmarkSuite
{
    public string Name => "quality";

    /// <summary>The held-out fraction of the pipeline's FaceNet dataset (Dataset:Pipeline:HeldOutFraction).</summary>
    private const double PipelineHeldOutFraction = 0.2;

    public void Run(BenchmarkReport report)
    {
        int heads = int.TryParse(Environment.GetEnvironmentVariable("HEADS_QUALITY_HEADS"), CultureInfo.InvariantCulture, out int h) ? h : 500;
        var models = (Environment.GetEnvironmentVariable("HEADS_QUALITY_MODELS") ?? "facenetpca,facenet3,facenet2")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(m => m.ToLowerInvariant()).ToHashSet();
        var clock = Stopwatch.StartNew();
        var (train, heldOut) = SyntheticFaceNetData(heads, report);
        var (fit, validation) = FaceNetEvaluation.ValidationSplit(train);
        report.Note($"{heads} synthetic heads: {fit.Count} fitted, {validation.Count} validation, {heldOut.Count} held out ({clock.Elapsed.TotalSeconds:F0} s to make or read)");

        clock.Restart();
        double lambda = RidgeBaseline.CrossValidatedLambda(fit);
        report.Note($"ridge λ = {lambda} by 5-fold cross-validation on the fitted heads ({clock.Elapsed.TotalSeconds:F1} s)");

        if (models.Contains("pca-floor"))
        {
            foreach (int k in new[] { 32, 64, 128, 256, 512 })
            {
                using var scope = NewDisposeScope();
                var (basis, mean) = FaceNetPcaTrainer.PrincipalComponents(VolumePostProcessing.Scale(fit.Volumes, FaceNetTrainingSet.VolumeVoxels), Math.Min(k, fit.Count - 1));
                var y = VolumePostProcessing.Scale(heldOut.Volumes, FaceNetTrainingSet.VolumeVoxels) - mean;
                // The basis rows are orthogonal with squared norms σ²: coefficients = y Bᵀ / σ².
                var norms = basis.square().sum([1]);
                var reconstructed = (y.mm(basis.t()) / norms).mm(basis) + mean;
                var s = FaceNetEvaluation.Score(VolumePostProcessing.ToByteArray(reconstructed), heldOut.Volumes);
                report.Note($"PCA floor, {k} components: IoU(>0) {s.OccupancyIoU:F3}, MAE {s.GrayscaleMae:F2}");
            }
        }
        if (models.Contains("facenetpca"))
            Evaluate(report, "FaceNetPca (default)", () => FaceNetPcaTrainer.Train(fit, validation, Pca()), fit, validation, heldOut, lambda);
        if (models.Contains("pca-mse"))
            Evaluate(report, "FaceNetPca, MSE loss", () => FaceNetPcaTrainer.Train(fit, validation, Pca() with { Loss = VolumeLoss.Mse }), fit, validation, heldOut, lambda);
        if (models.Contains("facenet3"))
            Evaluate(report, "FaceNet3 (original, MSE)", () => FaceNetTrainer.Train(fit, FaceNetOptions.FaceNet3 with { Epochs = Epochs("FACENET3", FaceNetOptions.FaceNet3.Epochs) }), fit, validation, heldOut, lambda);
        if (models.Contains("facenet3-ea"))
            Evaluate(report, "FaceNet3, empty-aware absolute loss", () => FaceNetTrainer.Train(fit, FaceNetOptions.FaceNet3 with { Epochs = Epochs("FACENET3", FaceNetOptions.FaceNet3.Epochs), Loss = VolumeLoss.EmptyAwareAbsolute }), fit, validation, heldOut, lambda);
        if (models.Contains("facenet2"))
        {
            // The pipeline's FaceNet2: the original's first 90 samples unless HEADS_QUALITY_FACENET2_SAMPLES says otherwise (0: all).
            int? limit = int.TryParse(Environment.GetEnvironmentVariable("HEADS_QUALITY_FACENET2_SAMPLES"), out int l) ? (l > 0 ? l : null) : new FaceNet2Options().SampleLimit;
            var loss = VolumeLosses.TryParse(Environment.GetEnvironmentVariable("HEADS_QUALITY_FACENET2_LOSS"), out var l2) ? l2 : VolumeLoss.EmptyAwareAbsolute;
            var options = new FaceNet2Options { Epochs = Epochs("FACENET2", 20), SampleLimit = limit, Loss = loss, Threads = Environment.ProcessorCount };
            Evaluate(report, $"FaceNet2 ({options.Epochs} epochs, {(limit is int n ? n.ToString(CultureInfo.InvariantCulture) : "all")} samples, {loss})", () =>
            {
                var model = new FaceNet2Model();
                for (int first = 0; first < FaceNetTrainingSet.VolumeVoxels; first += 4096)
                    model.Add(VoxelShardTrainer.Train(fit, first, 4096, options));
                return model;
            }, limit is int k ? fit.Take(k) : fit, validation, heldOut, ridgeLambda: null);
        }
    }

    private static FaceNetPcaOptions Pca()
    {
        var o = new FaceNetPcaOptions();
        string? Env(string name) => Environment.GetEnvironmentVariable("HEADS_QUALITY_PCA_" + name);
        if (int.TryParse(Env("COMPONENTS"), out int k)) o = o with { Components = k };
        if (int.TryParse(Env("UNITS"), out int u)) o = o with { HiddenUnits = u };
        if (int.TryParse(Env("EPOCHS"), out int e)) o = o with { Epochs = e };
        if (int.TryParse(Env("BATCH"), out int b)) o = o with { BatchSize = b };
        if (int.TryParse(Env("MEMBERS"), out int members)) o = o with { Members = members };
        if (VolumeLosses.TryParse(Env("LOSS"), out var loss)) o = o with { Loss = loss };
        if (Env("OFFSET") == "0") o = o with { TrainOffset = false };
        if (Env("BASIS") == "1") o = o with { TrainBasis = true };
        if (double.TryParse(Env("DROPOUT"), CultureInfo.InvariantCulture, out double d)) o = o with { Dropout = d };
        if (double.TryParse(Env("LR"), CultureInfo.InvariantCulture, out double lr)) o = o with { Optimizer = o.Optimizer with { LearningRate = lr } };
        return o;
    }

    private static int Epochs(string model, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable($"HEADS_QUALITY_{model}_EPOCHS"), out int e) ? e : fallback;

    private static void Evaluate(BenchmarkReport report, string name, Func<IVolumePredictor> train, FaceNetTrainingSet fit, FaceNetTrainingSet validation,
        FaceNetTrainingSet heldOut, double? ridgeLambda)
    {
        var clock = Stopwatch.StartNew();
        var model = train();
        double seconds = clock.Elapsed.TotalSeconds;
        try
        {
            var q = FaceNetEvaluation.Evaluate(model, fit, validation, heldOut, ridgeLambda);
            var m = model switch { FaceNetPcaModel p => p.Manifest, FaceNetModel f => f.Manifest, _ => null };
            report.Note($"{name}: trained in {seconds:F1} s on {fit.Count} heads" + (m is null ? "" :
                $"; final loss {m.EpochLosses[^1]:G3}, validation {(m.ValidationLosses.Count > 0 ? m.ValidationLosses[^1] : double.NaN):G3}, kept epoch {m.KeptEpoch} (validation {(m.KeptEpoch is int e && e > 0 ? m.ValidationLosses[e - 1] : double.NaN):G3})"));
            Scores(report, "  model", q.Model);
            Scores(report, "  ridge", q.Ridge);
            Scores(report, "  mean head", q.MeanHead);
            foreach (var c in new[] { q.VersusRidge!, q.VersusMeanHead! })
                report.Note($"    vs {c.Baseline}: ΔIoU(>0) {c.OccupancyIoU}, ΔIoU(thr) {c.ThresholdIoU}, ΔMAE {c.GrayscaleMae}: {(c.Beaten ? "beaten" : "not beaten")}");
            report.Note($"    {q.Verdict()}");
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static void Scores(BenchmarkReport report, string who, VolumeScores s) =>
        report.Note(string.Create(CultureInfo.InvariantCulture, $"{who,-11} IoU(>0) {s.OccupancyIoU:F3}   IoU(>{s.Threshold}) {s.ThresholdIoU:F3}   MAE {s.GrayscaleMae:F2}"));

    /// <summary>Heads syn-1…syn-N as the pipeline makes them (cached: generating one takes ~0.1 s).</summary>
    public static (FaceNetTrainingSet Train, FaceNetTrainingSet HeldOut) SyntheticFaceNetData(int count, BenchmarkReport report)
    {
        var folder = Path.Combine(Path.GetTempPath(), "heads-quality");
        Directory.CreateDirectory(folder);
        var faces = Path.Combine(folder, $"syn-1-{count}.faces");
        var volumes = Path.Combine(folder, $"syn-1-{count}.volumes");
        // A cache of more heads holds these as its first ones.
        var larger = Directory.GetFiles(folder, "syn-1-*.faces")
            .Select(f => (File: f, Count: int.TryParse(Path.GetFileNameWithoutExtension(f)["syn-1-".Length..], out int n) ? n : 0))
            .Where(c => c.Count >= count && File.Exists(Path.ChangeExtension(c.File, ".volumes"))).OrderBy(c => c.Count).FirstOrDefault();
        FaceNetTrainingSet all;
        if (larger.File is not null)
        {
            all = FaceNetTrainingSet.Load(larger.File, Path.ChangeExtension(larger.File, ".volumes"), limit: count, id: $"syn-1-{count}");
        }
        else
        {
            var generator = new HeadGenerator();
            var sampler = new HeadSampler();
            var samples = new HeadSample[count];
            Parallel.For(0, count, i =>
            {
                long seed = 1 + i;
                var mesh = generator.Generate((ulong)seed);
                var settings = new RenderSettings { Width = 256, Height = 256, Supersampling = 2 }.Jittered((ulong)seed, 4f, 3f, 20f);
                var photo = HeadRenderer.RenderJpeg(mesh, settings, quality: 92);
                using var ply = new MemoryStream();
                PlyWriter.Write(ply, mesh);
                ply.Position = 0;
                using var jpeg = new MemoryStream(photo);
                samples[i] = sampler.Sample("syn-" + seed.ToString(CultureInfo.InvariantCulture), ply, jpeg);
            });
            all = new FaceNetTrainingSet(samples.SelectMany(s => s.Face).ToArray(), samples.SelectMany(s => s.Volume).ToArray(), $"syn-1-{count}");
            File.WriteAllBytes(faces + ".tmp", all.Faces);
            File.WriteAllBytes(volumes + ".tmp", all.Volumes);
            File.Move(faces + ".tmp", faces, overwrite: true);
            File.Move(volumes + ".tmp", volumes, overwrite: true);
        }
        double fraction = double.TryParse(Environment.GetEnvironmentVariable("HEADS_QUALITY_HELD_OUT"), CultureInfo.InvariantCulture, out double f) ? f : PipelineHeldOutFraction;
        var held = Enumerable.Range(0, all.Count).Where(i => HeldOutSplit.IsHeldOut("syn-" + (1 + i).ToString(CultureInfo.InvariantCulture), fraction)).ToList();
        var train = Enumerable.Range(0, all.Count).Except(held).ToList();
        return (all.Select(train, all.Id), all.Select(held, all.Id + "/held-out"));
    }
}
