using Heads.Core.Models;
using Heads.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

/// <summary>The cache-resident engine changes where the work happens, not the maths: each net ends where torch takes it alone.</summary>
public class CacheResidentTrainingTests
{
    private static readonly DenseArchitecture Tiny = new(20, 3, 8, 1, Activation.Gelu);

    public static TheoryData<OptimizerKind> Optimisers => new(Enum.GetValues<OptimizerKind>());

    [Theory]
    [MemberData(nameof(Optimisers))]
    public void EveryOptimiserMatchesNetsTrainedAloneWithTorch(OptimizerKind kind) =>
        AssertMatchesTorch(Tiny, kind, VolumeLoss.Mse);

    [Theory]
    [InlineData(VolumeLoss.EmptyAware)]
    [InlineData(VolumeLoss.EmptyAwareAbsolute)]
    public void EveryLossMatchesTorch(VolumeLoss loss) => AssertMatchesTorch(Tiny, OptimizerKind.Adam, loss);

    [Theory]
    [InlineData(Activation.Selu)]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Tanh)]
    [InlineData(Activation.Sigmoid)]
    [InlineData(Activation.Linear)]
    public void EveryActivationMatchesTorchWithPaddedRows(Activation activation) =>
        // 5 units and 13 inputs are not whole SIMD vectors: the padding must stay inert (a sigmoid of a padded zero is 0.5).
        AssertMatchesTorch(new DenseArchitecture(13, 2, 5, 1, activation), OptimizerKind.Adam, VolumeLoss.Mse);

    [Fact]
    public void FaceNet2SizedNetsMatchTheEnsembleSession()
    {
        const int voxels = 3, samples = 20;
        var rng = new Random(5);
        var x = Enumerable.Range(0, samples * 1024).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, samples * voxels).Select(_ => rng.NextDouble() < 0.4 ? 0f : (float)rng.NextDouble()).ToArray();
        var options = new OptimizerOptions();
        using var reference = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [7, 900, 20000], seed: 3);
        using var resident = new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, [7, 900, 20000], seed: 3);
        IReadOnlyList<double> expected;
        using (var session = new EnsembleTrainingSession(reference, x, y, options, threads: 2, VolumeLoss.EmptyAwareAbsolute))
            expected = session.Train(epochs: 3, batchSize: 6, seed: 9);
        var actual = CacheResidentTraining.Train(resident, x, y, options, VolumeLoss.EmptyAwareAbsolute, epochs: 3, batchSize: 6, seed: 9, threads: 2);

        for (int e = 0; e < expected.Count; e++) Assert.Equal(expected[e], actual[e], 1e-5);
        for (int l = 0; l < DenseArchitecture.FaceNet2Voxel.LayerCount; l++)
        {
            using var scope = NewDisposeScope();
            EnsembleEquivalenceTests.AssertClose(reference.LinearWeight(l), resident.LinearWeight(l), $"layer {l} weight");
            EnsembleEquivalenceTests.AssertClose(reference.LinearBias(l), resident.LinearBias(l), $"layer {l} bias");
        }
    }

    [Fact]
    public void ReportsEachNetAndStopsWhenCancelled()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 10 * Tiny.Inputs).Select(_ => (float)rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 10 * 6).Select(_ => (float)rng.NextDouble()).ToArray();
        using var ensemble = new VoxelEnsemble(Tiny, Enumerable.Range(0, 6).ToArray(), seed: 1);
        var reported = new List<int>();
        CacheResidentTraining.Train(ensemble, x, y, new OptimizerOptions(), VolumeLoss.Mse, 2, 4, 0, threads: 1, netTrained: (n, _) => reported.Add(n));
        Assert.Equal([1, 2, 3, 4, 5, 6], reported);

        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => CacheResidentTraining.Train(ensemble, x, y, new OptimizerOptions(), VolumeLoss.Mse, 2, 4, 0,
            threads: 2, netTrained: (_, _) => cts.Cancel(), cancellationToken: cts.Token));
    }

    [Fact]
    public void RejectsInputsAndTargetsOfTheWrongSize()
    {
        using var ensemble = new VoxelEnsemble(Tiny, [0, 1], seed: 1);
        Assert.Throws<ArgumentException>(() => CacheResidentTraining.Train(ensemble, new float[21], new float[2], new OptimizerOptions(), VolumeLoss.Mse, 1, 1, 0));
        Assert.Throws<ArgumentException>(() => CacheResidentTraining.Train(ensemble, new float[40], new float[3], new OptimizerOptions(), VolumeLoss.Mse, 1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CacheResidentTraining.Train(ensemble, new float[40], new float[4], new OptimizerOptions(), VolumeLoss.Mse, 0, 1, 0));
    }

    private static void AssertMatchesTorch(DenseArchitecture architecture, OptimizerKind kind, VolumeLoss loss)
    {
        const int voxels = 5, samples = 14, batchSize = 4, epochs = 3;
        var options = new OptimizerOptions { Kind = kind, LearningRate = kind is OptimizerKind.Sgd or OptimizerKind.Momentum ? 0.05 : 1e-3 };
        var rng = new Random(7);
        var x = Enumerable.Range(0, samples * architecture.Inputs).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        // A third of the targets empty, so the empty-aware losses take both branches.
        var y = Enumerable.Range(0, samples * voxels).Select(_ => rng.NextDouble() < 0.33 ? 0f : (float)rng.NextDouble()).ToArray();
        var batches = BatchSchedule.Create(samples, batchSize, epochs, seed: 3);

        using var ensemble = new VoxelEnsemble(architecture, Enumerable.Range(100, voxels).ToArray(), seed: 11);
        var alone = Enumerable.Range(0, voxels).Select(ensemble.ExtractNetwork).ToList();
        var losses = CacheResidentTraining.Train(ensemble, x, y, options, loss, epochs, batchSize, seed: 3, threads: 2);
        Assert.Equal(epochs, losses.Length);

        var expectedLosses = new double[epochs];
        int perEpoch = BatchSchedule.StepsPerEpoch(samples, batchSize);
        for (int v = 0; v < voxels; v++)
        {
            using var net = alone[v];
            using var optimizer = EnsembleEquivalenceTests.TorchOptimizer(net, options);
            for (int s = 0; s < batches.Count; s++)
            {
                var batch = batches[s];
                using var scope = NewDisposeScope();
                var xb = tensor(batch.SelectMany(i => x.AsSpan(i * architecture.Inputs, architecture.Inputs).ToArray()).ToArray(), [batch.Length, architecture.Inputs]);
                var yb = tensor(batch.Select(i => y[i * voxels + v]).ToArray(), [batch.Length, 1]);
                optimizer.zero_grad();
                var l = loss.Mean(net.forward(xb), yb);
                expectedLosses[s / perEpoch] += l.item<float>() / perEpoch / voxels;
                l.backward();
                optimizer.step();
            }
            using var trained = ensemble.ExtractNetwork(v);
            for (int l = 0; l < architecture.LayerCount; l++)
            {
                EnsembleEquivalenceTests.AssertClose(net.Weight(l), trained.Weight(l), $"{kind} {loss} {architecture.Activation} voxel {v} layer {l} weight");
                EnsembleEquivalenceTests.AssertClose(net.Bias(l), trained.Bias(l), $"{kind} {loss} {architecture.Activation} voxel {v} layer {l} bias");
            }
        }
        for (int e = 0; e < epochs; e++) Assert.Equal(expectedLosses[e], losses[e], 1e-5);
    }
}
