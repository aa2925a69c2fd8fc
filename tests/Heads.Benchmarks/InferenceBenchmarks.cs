using Heads.Core.Inference;
using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Benchmarks;

/// <summary>
/// Prediction speed: FaceNet2 with all 32768 voxel networks (random weights, 8 shards of 4096) for 1 and 64 faces,
/// FaceNet3 for 1 and 64 faces, and a 200,000-point HeadsNet head.
/// </summary>
public sealed class InferenceBenchmarks : IBenchmarkSuite
{
    public string Name => "inference";

    public void Run(BenchmarkReport report)
    {
        var rng = new Random(1);
        var faces = new byte[64 * 1024];
        rng.NextBytes(faces);

        FaceNet3(report, faces);
        HeadsNet(report);
        FaceNet2(report, faces);
    }

    private static void FaceNet3(BenchmarkReport report, byte[] faces)
    {
        var manifest = new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3 };
        using var model = new FaceNetModel(new DenseNetwork(DenseArchitecture.FaceNet3, 1), manifest);
        double one = BenchmarkReport.Time(() => model.PredictVolumes(faces.AsSpan(0, 1024)), minSeconds: 1.0);
        double many = BenchmarkReport.Time(() => model.PredictVolumes(faces), minSeconds: 1.0);
        report.Figure("FaceNet3: predict 1 face", one * 1e3, "ms");
        report.Figure("FaceNet3: predict 64 faces", many * 1e3, "ms");
        report.Figure("FaceNet3: faces/s at 64", 64 / many, "faces/s", 1 / one, "one at a time");
    }

    private static void HeadsNet(BenchmarkReport report)
    {
        var manifest = new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = DenseArchitecture.HeadsNet };
        using var model = new HeadsNetModel(new DenseNetwork(DenseArchitecture.HeadsNet, 1), manifest);
        const int points = HeadsNetModel.DefaultPoints;
        double onePass = BenchmarkReport.Time(() => OnePass(model, 0.5f, points), minSeconds: 2.0);
        double seconds = BenchmarkReport.Time(() => model.Sample(0.5f, points), minSeconds: 2.0);
        report.Figure($"HeadsNet: 200,000-point head (blocks of {HeadsNetSampler.DefaultBlockRows:N0} rows)", seconds * 1e3, "ms", onePass * 1e3, "one 200,000-row pass");
        report.Figure("HeadsNet: points/s", points / seconds / 1e6, "M points/s", points / onePass / 1e6, "one 200,000-row pass");
        double fast = BenchmarkReport.Time(() => HeadsNetSampler.Sample(model, 0.5f, points, precision: HeadsNetPrecision.BFloat16), minSeconds: 2.0);
        report.Figure("HeadsNet: 200,000-point head, precision=bf16", fast * 1e3, "ms", seconds * 1e3, "fp32 blocks");
        // How far the fast head is from the exact one, relative to the head's size.
        var exact = model.Sample(0.5f, points);
        var approx = HeadsNetSampler.Sample(model, 0.5f, points, precision: HeadsNetPrecision.BFloat16);
        double extent = exact.Positions.Max() - exact.Positions.Min(), sum = 0, max = 0;
        for (int i = 0; i < exact.Positions.Length; i++)
        {
            double d = Math.Abs(exact.Positions[i] - approx.Positions[i]);
            sum += d;
            max = Math.Max(max, d);
        }
        int colours = 0;
        for (int i = 0; i < exact.Colors.Length; i++) colours = Math.Max(colours, Math.Abs(exact.Colors[i] - approx.Colors[i]));
        report.Note($"bf16 vs fp32: mean |Δ| {sum / exact.Positions.Length / extent:P3} of the head's extent, max {max / extent:P2}; colours within {colours} of 255");
        // The floor for fp32 on this machine: the three 384×384 products alone at the measured matrix-product rate.
        using (var scope = NewDisposeScope())
        using (var noGrad = inference_mode())
        {
            var x = randn(2048, 384);
            var w = randn(384, 384);
            double gemm = BenchmarkReport.Time(() => { using var inner = NewDisposeScope(); x.matmul(w); }, minSeconds: 1.0);
            double rate = 2.0 * 2048 * 384 * 384 / gemm;
            report.Figure("HeadsNet: fp32 [2048×384]×[384×384] rate", rate / 1e9, "GFLOP/s");
            report.Figure("HeadsNet: fp32 floor (3 products × 200,000 rows at that rate)", 3 * 2.0 * points * 384 * 384 / rate * 1e3, "ms");
        }
    }

    /// <summary>The original's sampling: every point's activations in one [count, 384] pass.</summary>
    private static (float[] Positions, byte[] Colors) OnePass(HeadsNetModel model, float seed, int count)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var index = arange(count, ScalarType.Float32).div_(count);
        var output = model.Network.forward(stack([full(count, seed, ScalarType.Float32), index], 1));
        return (output.narrow(1, 0, 3).contiguous().data<float>().ToArray(),
            output.narrow(1, 3, 3).mul(255).round_().clamp_(0, 255).to(ScalarType.Byte).contiguous().data<byte>().ToArray());
    }

    private static void FaceNet2(BenchmarkReport report, byte[] faces)
    {
        const int shardSize = 4096;
        var start = System.Diagnostics.Stopwatch.StartNew();
        using var model = new FaceNet2Model();
        for (int first = 0; first < VolumePostProcessing.VolumeVoxels; first += shardSize)
        {
            var voxels = Enumerable.Range(first, shardSize).ToArray();
            var manifest = new ModelManifest { Kind = ModelKind.FaceNet2Shard, Architecture = DenseArchitecture.FaceNet2Voxel, Voxels = new VoxelRange(first, shardSize, shardSize, 0) };
            model.Add(new VoxelShard(manifest, voxels, [], [], RandomEnsemble(shardSize)));
        }
        report.Figure("FaceNet2: build 32768 random nets", start.Elapsed.TotalSeconds, "s");
        report.Figure("FaceNet2: resident after build", BenchmarkReport.ResidentMiB(), "MiB");
        double one = BenchmarkReport.Time(() => model.PredictVolumes(faces.AsSpan(0, 1024)), minSeconds: 2.0);
        double many = BenchmarkReport.Time(() => model.PredictVolumes(faces), minSeconds: 2.0);
        report.Figure("FaceNet2 (32768 nets): predict 1 face", one * 1e3, "ms");
        report.Figure("FaceNet2 (32768 nets): predict 64 faces", many * 1e3, "ms");
        report.Figure("FaceNet2: faces/s at 64", 64 / many, "faces/s", 1 / one, "one at a time");
        double weightBytes = DenseArchitecture.FaceNet2Voxel.ParameterCount * 32768.0 * 4;
        report.Figure("FaceNet2: weight read rate at 1 face", weightBytes / one / 1e9, "GB/s");
        report.Figure("FaceNet2: peak resident", BenchmarkReport.PeakResidentMiB(), "MiB");
    }

    /// <summary>Random weights of the right scale, without the per-voxel seeded initialisation (which costs seconds for 1.28 B weights).</summary>
    private static VoxelEnsemble RandomEnsemble(int count)
    {
        using var scope = NewDisposeScope();
        var a = DenseArchitecture.FaceNet2Voxel;
        var weights = new List<Tensor>();
        var biases = new List<Tensor>();
        for (int l = 0; l < a.LayerCount; l++)
        {
            double limit = Math.Sqrt(6.0 / (a.LayerInputs(l) + a.LayerOutputs(l)));
            weights.Add(empty(count, a.LayerOutputs(l), a.LayerInputs(l)).uniform_(-limit, limit));
            biases.Add(zeros(count, a.LayerOutputs(l)));
        }
        return VoxelEnsemble.FromLinearLayers(a, weights, biases);
    }
}
