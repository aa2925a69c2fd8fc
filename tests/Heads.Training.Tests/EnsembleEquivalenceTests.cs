using Heads.Core.Models;
using Heads.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

/// <summary>Batching changes speed, not maths: V nets trained as one ensemble equal V nets trained one at a time.</summary>
public class EnsembleEquivalenceTests
{
    private static readonly DenseArchitecture Tiny = new(20, 3, 8, 1, Activation.Gelu);

    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Adamax)]
    [InlineData(OptimizerKind.Nadam)]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.RmsProp)]
    public void EnsembleMatchesNetsTrainedAloneWithTorchOptimisers(OptimizerKind kind)
    {
        const int voxels = 5, samples = 14, batchSize = 4, epochs = 2;
        var options = new OptimizerOptions { Kind = kind, LearningRate = kind is OptimizerKind.Sgd or OptimizerKind.Momentum ? 0.05 : 1e-3 };
        var rng = new Random(7);
        var x = Enumerable.Range(0, samples * Tiny.Inputs).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, samples * voxels).Select(_ => (float)rng.NextDouble()).ToArray();
        var batches = BatchSchedule.Create(samples, batchSize, epochs, seed: 3);

        using var ensemble = new VoxelEnsemble(Tiny, Enumerable.Range(100, voxels).ToArray(), seed: 11);
        var alone = Enumerable.Range(0, voxels).Select(ensemble.ExtractNetwork).ToList();

        using (var session = new EnsembleTrainingSession(ensemble, x, y, options, threads: 2))
            for (int s = 0; s < batches.Count; s++)
                session.Step(batches[s], s + 1 < batches.Count ? batches[s + 1] : null);

        for (int v = 0; v < voxels; v++)
        {
            using var net = alone[v];
            using var optimizer = TorchOptimizer(net, options);
            foreach (var batch in batches)
            {
                using var scope = NewDisposeScope();
                var xb = tensor(batch.SelectMany(i => x.AsSpan(i * Tiny.Inputs, Tiny.Inputs).ToArray()).ToArray(), [batch.Length, Tiny.Inputs]);
                var yb = tensor(batch.Select(i => y[i * voxels + v]).ToArray(), [batch.Length, 1]);
                optimizer.zero_grad();
                nn.functional.mse_loss(net.forward(xb), yb).backward();
                optimizer.step();
            }
            using var trained = ensemble.ExtractNetwork(v);
            for (int l = 0; l < Tiny.LayerCount; l++)
            {
                AssertClose(net.Weight(l), trained.Weight(l), $"{kind} voxel {v} layer {l} weight");
                AssertClose(net.Bias(l), trained.Bias(l), $"{kind} voxel {v} layer {l} bias");
            }
        }
    }

    internal static optim.Optimizer TorchOptimizer(nn.Module net, OptimizerOptions o) => o.Kind switch
    {
        OptimizerKind.Adam => optim.Adam(net.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Epsilon),
        OptimizerKind.Adamax => optim.Adamax(net.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Epsilon),
        OptimizerKind.Nadam => optim.NAdam(net.parameters(), o.LearningRate, o.Beta1, o.Beta2, o.Epsilon, 0, o.MomentumDecay),
        OptimizerKind.Sgd => optim.SGD(net.parameters(), o.LearningRate),
        OptimizerKind.Momentum => optim.SGD(net.parameters(), o.LearningRate, o.Momentum),
        OptimizerKind.RmsProp => optim.RMSProp(net.parameters(), o.LearningRate, o.Rho, o.Epsilon),
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };

    internal static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = 1e-5)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        double diff = (expected.detach() - actual.detach()).abs().max().item<float>();
        Assert.True(diff <= tolerance, $"{what}: max |difference| {diff:E3} > {tolerance:E0}");
    }
}
