using System.Diagnostics;
using Heads.Core.Models;
using Heads.Core.Training;
using TorchSharp;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;
using static Heads.Benchmarks.TrainingBenchmarks;

namespace Heads.Benchmarks;

/// <summary>
/// The four ways to train FaceNet2's voxel nets, on the same nets and real data in one process: a naive loop (one net
/// at a time, torch modules and torch.optim.Adam), today's ensemble session, a stacked bmm ensemble with stock
/// torch.optim.Adam (what a PyTorch user writes), and the cache-resident engine. Each is given in ms per net-step,
/// with its ratio to the others, its GFLOP/s against a large matmul measured here, and the projected time for all
/// 32768 nets at the original settings (90 samples, batch 6, 166 epochs); then a real run of 2048 nets through all
/// 166 epochs on the engine.
/// </summary>
public sealed class VoxelEngineBenchmarks : IBenchmarkSuite
{
    private const int First = 12288;

    public string Name => "voxel-engines";

    /// <summary>Multiply-add FLOPs of one net-step (forward, weight gradients, input gradients below layer 1), batch 6; the update is not counted.</summary>
    public static double FlopsPerNetStep(DenseArchitecture a, int batch)
    {
        double forward = (double)a.Inputs * a.Units + (a.HiddenLayers - 1.0) * a.Units * a.Units + a.Units * a.Outputs;
        double below = (a.HiddenLayers - 1.0) * a.Units * a.Units + a.Units * a.Outputs;
        return 2.0 * batch * (2 * forward + below);
    }

    public void Run(BenchmarkReport report)
    {
        int threads = get_num_threads();
        report.Note($"torch threads {threads}, {Environment.ProcessorCount} cores; load average {LoadAverage()}");
        var (faces, volumes) = LoadRealData();
        var inputs = faces.ScaledFaces();
        var arch = DenseArchitecture.FaceNet2Voxel;
        double flops = FlopsPerNetStep(arch, Batch);
        report.Note($"{flops / 1e6:F3} MFLOP per net-step (products only); all 32768 nets at the original settings: {flops * AllNets * TotalSteps:E2} FLOP");

        double matmul = MatmulFlops();
        report.Figure("large matmul (2048³, all threads)", matmul / 1e9, "GFLOP/s");
        double bandwidth = MeasureBandwidth();
        report.Figure("memory bandwidth (torch copy, read+write)", bandwidth / 1e9, "GB/s");

        var engines = new List<(string Name, double SecondsPerNetStep)>
        {
            ("naive loop", NaiveSecondsPerNetStep(inputs, volumes)),
            ("ensemble session V=1024", EnsembleSecondsPerStep(1024, inputs, volumes) / 1024),
            ("stacked bmm + torch Adam V=1024", StackedTorchSecondsPerNetStep(1024, inputs, volumes)),
            ("cache-resident engine", ResidentSecondsPerNetStep(256, 10, inputs, volumes)),
        };
        foreach (var (name, seconds) in engines)
        {
            report.Figure($"{name}: per net-step", seconds * 1e6, "µs");
            report.Figure($"{name}: achieved", flops / seconds / 1e9, "GFLOP/s", matmul / 1e9, "matmul");
            report.Figure($"{name}: projected all 32768 nets, 166 epochs", seconds * AllNets * TotalSteps / 60, "min");
        }
        var engine = engines[^1];
        foreach (var (name, seconds) in engines.Take(engines.Count - 1))
            report.Figure($"engine speed vs {name}", seconds / engine.SecondsPerNetStep, "x");

        double bound = arch.ParameterCount * 28.0 / bandwidth; // Adam streaming p, g, m, v from memory every step
        report.Figure("bandwidth bound of a streaming ensemble: projected all nets", bound * AllNets * TotalSteps / 60, "min");
        report.Figure("compute bound at the matmul rate: projected all nets", flops / matmul * AllNets * TotalSteps / 60, "min");
        report.Figure("engine memory per training thread", CacheResidentTraining.BytesPerThread(arch, new OptimizerOptions(), Batch) / 1048576.0, "MiB");

        // A real run: 2048 nets through the original's whole schedule.
        const int nets = 2048;
        var clock = Stopwatch.StartNew();
        double last = ResidentRun(nets, Epochs, inputs, volumes, out var losses);
        double perNetStep = clock.Elapsed.TotalSeconds / ((double)nets * TotalSteps);
        report.Note($"real run: {nets} nets × {Epochs} epochs ({TotalSteps} steps each) in {clock.Elapsed.TotalSeconds:F1} s; loss {losses[0]:G4} → {last:G4}");
        report.Figure("real run: per net-step", perNetStep * 1e6, "µs", engines[1].SecondsPerNetStep * 1e6, "ensemble session");
        report.Figure("real run: achieved", flops / perNetStep / 1e9, "GFLOP/s", matmul / 1e9, "matmul");
        foreach (var (name, seconds) in engines.Take(engines.Count - 1))
            report.Figure($"real run: speed vs {name}", seconds / perNetStep, "x");
        report.Figure("real run: projected all 32768 nets, unpruned", perNetStep * AllNets * TotalSteps / 60, "min");
        int constant = CountConstantVoxels(volumes);
        report.Figure("real run: projected all 32768 nets, pruned", perNetStep * (AllNets - constant) * TotalSteps / 60, "min");
        report.Figure("real run: peak resident so far", BenchmarkReport.PeakResidentMiB(), "MiB");
    }

    private static double MatmulFlops()
    {
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        using var c = empty(2048, 2048);
        double seconds = BenchmarkReport.Time(() => mm(a, b).Dispose(), minSeconds: 1.0, minIterations: 3);
        return 2.0 * 2048 * 2048 * 2048 / seconds;
    }

    private static double ResidentSecondsPerNetStep(int nets, int epochs, float[] inputs, byte[] volumes)
    {
        ResidentRun(64, 4, inputs, volumes, out _); // JIT warm-up (tiered compilation)
        var clock = Stopwatch.StartNew();
        ResidentRun(nets, epochs, inputs, volumes, out _);
        return clock.Elapsed.TotalSeconds / ((double)nets * epochs * StepsPerEpoch);
    }

    private static double ResidentRun(int nets, int epochs, float[] inputs, byte[] volumes, out double[] losses)
    {
        using var ensemble = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, Enumerable.Range(First, nets).ToArray(), seed: 1);
        losses = CacheResidentTraining.Train(ensemble, inputs, Targets(volumes, First, nets), new OptimizerOptions(), VolumeLoss.Mse, epochs, Batch, seed: 0);
        return losses[^1];
    }

    /// <summary>The stacked ensemble as a PyTorch user writes it: [V, …] weights, bmm per layer, autograd, stock Adam.</summary>
    private static double StackedTorchSecondsPerNetStep(int v, float[] inputs, byte[] volumes)
    {
        var arch = DenseArchitecture.FaceNet2Voxel;
        var parameters = new List<Parameter>();
        using var generator = new Generator(1);
        for (int l = 0; l < arch.LayerCount; l++)
        {
            int fanIn = arch.LayerInputs(l), fanOut = arch.LayerOutputs(l);
            double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
            parameters.Add(new Parameter(rand([v, fanIn, fanOut], generator: generator) * (2 * limit) - limit));
            parameters.Add(new Parameter(zeros(v, 1, fanOut)));
        }
        using var optimizer = optim.Adam(parameters, 1e-3, eps: 1e-7);
        using var x = tensor(inputs, [Samples, 1024]);
        using var y = tensor(Targets(volumes, First, v), [Samples, v]);
        var batches = BatchSchedule.Create(Samples, Batch, 2, seed: 0);
        void Step(int s)
        {
            using var scope = NewDisposeScope();
            var index = tensor(batches[s].Select(i => (long)i).ToArray());
            var h = x.index_select(0, index).unsqueeze(0).expand(v, -1, -1);
            for (int l = 0; l < arch.LayerCount; l++)
            {
                h = bmm(h, parameters[2 * l]) + parameters[2 * l + 1];
                if (l < arch.LayerCount - 1) h = nn.functional.gelu(h);
            }
            var target = y.index_select(0, index).t().unsqueeze(2);
            optimizer.zero_grad();
            (h - target).square().mean([1, 2]).sum().backward();
            optimizer.step();
        }
        Step(0);
        var clock = Stopwatch.StartNew();
        int steps = 0;
        while (steps < 3 || clock.Elapsed.TotalSeconds < 2.5) Step(++steps % batches.Count);
        double seconds = clock.Elapsed.TotalSeconds / steps / v;
        foreach (var p in parameters) p.Dispose();
        return seconds;
    }
}
