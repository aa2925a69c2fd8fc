using System.Diagnostics;
using Heads.Core.Models;
using Heads.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Benchmarks;

/// <summary>
/// FaceNet2 training throughput: voxel ensembles of 256..4096 nets against a naive loop training the same nets one at a time,
/// the projected time for all 32768 nets at the original settings, the memory-bandwidth bound, pruning on the real data,
/// and resident memory over a longer run.
/// </summary>
public sealed class TrainingBenchmarks : IBenchmarkSuite
{
    internal const int Samples = 90, Batch = 6, Epochs = 166, AllNets = 32768;
    private const double BytesPerParameterStep = 28; // Adam: read p, g, m, v; write p, m, v (4 bytes each)
    private static readonly long NetParameters = DenseArchitecture.FaceNet2Voxel.ParameterCount;
    internal static readonly int StepsPerEpoch = BatchSchedule.StepsPerEpoch(Samples, Batch);
    internal static readonly long TotalSteps = (long)StepsPerEpoch * Epochs;

    public string Name => "training";

    public void Run(BenchmarkReport report)
    {
        report.Note($"torch threads {get_num_threads()}, {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        var (faces, volumes) = LoadRealData();
        var inputs = faces.ScaledFaces();

        double bandwidth = MeasureBandwidth();
        report.Figure("memory bandwidth (torch copy, read+write)", bandwidth / 1e9, "GB/s");

        double naive = NaiveSecondsPerNetStep(inputs, volumes);
        report.Figure("naive loop: one net at a time (torch Adam)", naive * 1e3, "ms/net-step");
        double naiveAll = naive * AllNets * TotalSteps;
        report.Figure("naive loop: projected all 32768 nets", naiveAll / 3600, "h");

        double best = double.MaxValue;
        foreach (int v in new[] { 256, 512, 1024, 2048, 4096 })
        {
            double step = EnsembleSecondsPerStep(v, inputs, volumes);
            double perNetStep = step / v;
            best = Math.Min(best, perNetStep);
            report.Figure($"ensemble V={v}: step", step * 1e3, "ms");
            report.Figure($"ensemble V={v}: parameter updates/s", v * NetParameters / step / 1e6, "M/s");
            report.Figure($"ensemble V={v}: net-epochs/s", v / (step * StepsPerEpoch), "net-epochs/s", 1 / (naive * StepsPerEpoch), "naive");
            report.Figure($"ensemble V={v}: speed per net-step vs naive", naive / perNetStep, "x");
            report.Figure($"ensemble V={v}: projected all 32768 nets", perNetStep * AllNets * TotalSteps / 3600, "h");
            double boundStep = v * NetParameters * BytesPerParameterStep / bandwidth;
            report.Figure($"ensemble V={v}: bandwidth bound (28 B/param/step)", boundStep * 1e3, "ms/step");
            report.Figure($"ensemble V={v}: effective traffic at that bound", step / boundStep * BytesPerParameterStep, "B/param/step");
            report.Figure($"ensemble V={v}: peak resident so far", BenchmarkReport.PeakResidentMiB(), "MiB");
        }
        double boundAll = NetParameters * BytesPerParameterStep / bandwidth * AllNets * TotalSteps;
        report.Figure("bandwidth bound: all 32768 nets", boundAll / 3600, "h");

        // Pruning: voxels constant over the 90 training samples are stored, not trained.
        int constant = CountConstantVoxels(volumes);
        double trainedFraction = 1 - (double)constant / AllNets;
        report.Figure("real data: voxels constant over the first 90 samples", constant, "voxels");
        double pruned = best * AllNets * trainedFraction * TotalSteps;
        report.Figure("with pruning: projected all 32768 nets", pruned / 3600, "h");
        report.Figure("with pruning: speed vs naive", naiveAll / pruned, "x");

        RealShard(report, faces, naive);
        Soak(report, inputs, volumes);
    }

    internal static (FaceNetTrainingSet Faces, byte[] Volumes) LoadRealData()
    {
        var set = FaceNetTrainingSet.Load(Heads.Testing.SharedData.TrainX, Heads.Testing.SharedData.TrainYGz, limit: Samples);
        return (set, set.Volumes);
    }

    internal static double MeasureBandwidth()
    {
        using var a = rand(128L << 20); // 512 MiB
        using var b = empty_like(a);
        double seconds = BenchmarkReport.Time(() => b.copy_(a), minSeconds: 1.0, minIterations: 3);
        return 2.0 * a.numel() * 4 / seconds;
    }

    internal static float[] Targets(byte[] volumes, int firstVoxel, int count)
    {
        var y = new float[Samples * count];
        for (int s = 0; s < Samples; s++)
            for (int j = 0; j < count; j++) y[s * count + j] = volumes[s * 32768 + firstVoxel + j] / 255f;
        return y;
    }

    /// <summary>The same nets trained one at a time with stock TorchSharp modules and torch.optim.Adam.</summary>
    internal static double NaiveSecondsPerNetStep(float[] inputs, byte[] volumes)
    {
        const int nets = 3, steps = 20;
        var batches = BatchSchedule.Create(Samples, Batch, 2, seed: 0);
        using var x = tensor(inputs, [Samples, 1024]);
        double total = 0;
        for (int n = 0; n < nets; n++)
        {
            using var net = new DenseNetwork(DenseArchitecture.FaceNet2Voxel, n);
            using var optimizer = optim.Adam(net.parameters(), 1e-3, eps: 1e-7);
            using var y = tensor(Targets(volumes, 16000 + n, 1), [Samples, 1]);
            void Step(int s)
            {
                using var scope = NewDisposeScope();
                var index = tensor(batches[s].Select(i => (long)i).ToArray());
                optimizer.zero_grad();
                nn.functional.mse_loss(net.forward(x.index_select(0, index)), y.index_select(0, index)).backward();
                optimizer.step();
            }
            Step(0);
            var clock = Stopwatch.StartNew();
            for (int s = 1; s <= steps; s++) Step(s);
            total += clock.Elapsed.TotalSeconds;
        }
        return total / (nets * steps);
    }

    internal static double EnsembleSecondsPerStep(int v, float[] inputs, byte[] volumes)
    {
        int first = 12288; // a block through the middle of the volume
        using var ensemble = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, Enumerable.Range(first, v).ToArray(), seed: 1);
        using var session = new EnsembleTrainingSession(ensemble, inputs, Targets(volumes, first, v), new OptimizerOptions());
        var batches = BatchSchedule.Create(Samples, Batch, 4, seed: 0);
        int s = 0;
        for (; s < 2; s++) session.Step(batches[s], batches[s + 1]);
        var clock = Stopwatch.StartNew();
        int timed = 0;
        while ((timed < 4 || clock.Elapsed.TotalSeconds < 2.5) && s + 1 < batches.Count)
        {
            session.Step(batches[s], batches[s + 1]);
            s++;
            timed++;
        }
        return clock.Elapsed.TotalSeconds / timed;
    }

    internal static int CountConstantVoxels(byte[] volumes)
    {
        int constant = 0;
        for (int v = 0; v < 32768; v++)
        {
            bool same = true;
            for (int s = 1; s < Samples && same; s++) same = volumes[s * 32768 + v] == volumes[v];
            if (same) constant++;
        }
        return constant;
    }

    /// <summary>End to end through VoxelShardTrainer (pruning included) on a real 4096-voxel shard, 2 epochs.</summary>
    private static void RealShard(BenchmarkReport report, FaceNetTrainingSet set, double naive)
    {
        var options = new FaceNet2Options { Epochs = 2 };
        var clock = Stopwatch.StartNew();
        using var shard = VoxelShardTrainer.Train(set, 12288, 4096, options);
        double seconds = clock.Elapsed.TotalSeconds;
        var range = shard.Manifest.Voxels!;
        report.Note($"real shard 12288..16383: {range.Trained} trained, {range.Constant} constant; loss {shard.Manifest.EpochLosses[0]:G4} → {shard.Manifest.EpochLosses[^1]:G4}");
        double netEpochsPerSecond = 4096.0 * options.Epochs / seconds;
        report.Figure("real shard (4096 voxels, pruning on): net-epochs/s", netEpochsPerSecond, "net-epochs/s", 1 / (naive * StepsPerEpoch), "naive");
        report.Figure("real shard: projected all 32768 nets at 166 epochs", AllNets * (double)Epochs / netEpochsPerSecond / 3600, "h");
    }

    /// <summary>Trains a 1024-net ensemble for a while and samples resident memory, to show native memory does not grow.</summary>
    private static void Soak(BenchmarkReport report, float[] inputs, byte[] volumes)
    {
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("HEADS_SOAK_SECONDS"), out var s) ? s : 60;
        const int v = 1024;
        using var ensemble = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, Enumerable.Range(8192, v).ToArray(), seed: 2);
        using var session = new EnsembleTrainingSession(ensemble, inputs, Targets(volumes, 8192, v), new OptimizerOptions());
        var batches = BatchSchedule.Create(Samples, Batch, 10_000, seed: 0);
        var clock = Stopwatch.StartNew();
        double nextSample = 0, first = double.NaN, last = 0;
        int step = 0;
        var samples = new List<string>();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            session.Step(batches[step], batches[step + 1]);
            step++;
            if (clock.Elapsed.TotalSeconds >= nextSample)
            {
                last = BenchmarkReport.ResidentMiB();
                if (double.IsNaN(first)) first = last;
                if (samples.Count == 0) report.Note($"managed heap at start {GC.GetTotalMemory(false) / 1048576.0:F1} MiB");
                samples.Add($"{clock.Elapsed.TotalSeconds:F0}s:{last:F0}");
                nextSample += seconds / 6;
            }
        }
        last = BenchmarkReport.ResidentMiB();
        samples.Add($"{clock.Elapsed.TotalSeconds:F0}s:{last:F0}");
        report.Note($"managed heap after soak {GC.GetTotalMemory(false) / 1048576.0:F1} MiB");
        report.Note($"soak V={v}, {step} steps in {clock.Elapsed.TotalSeconds:F0} s; resident MiB at t: {string.Join("  ", samples)}");
        report.Figure("soak: resident memory growth first→last sample", last - first, "MiB");
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";

}
