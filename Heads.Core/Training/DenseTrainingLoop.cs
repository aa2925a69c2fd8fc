using System.Diagnostics;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Minibatch MSE training of one <see cref="DenseNetwork"/> with an <see cref="InPlaceOptimizer"/> (HeadsNet, FaceNet1, FaceNet3).</summary>
internal static class DenseTrainingLoop
{
    /// <returns>The mean loss of each epoch.</returns>
    public static IReadOnlyList<double> Run(DenseNetwork network, Tensor inputs, Tensor targets, OptimizerOptions optimizerOptions,
        int batchSize, int epochs, int seed, int threads, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        Func<double, double>? learningRateScale = null)
    {
        int n = (int)inputs.shape[0];
        var batches = BatchSchedule.Create(n, batchSize, epochs, seed);
        int perEpoch = BatchSchedule.StepsPerEpoch(n, batchSize);
        using var optimizer = new InPlaceOptimizer(network.parameters(), optimizerOptions, threads);
        var losses = new List<double>(epochs);
        var total = Stopwatch.StartNew();
        var epochClock = Stopwatch.StartNew();
        double sum = 0;
        for (int s = 0; s < batches.Count; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (learningRateScale is not null) optimizer.LearningRateScale = learningRateScale((double)s / batches.Count);
            using (var scope = NewDisposeScope())
            {
                var index = tensor(batches[s].Select(i => (long)i).ToArray());
                var loss = nn.functional.mse_loss(network.forward(inputs.index_select(0, index)), targets.index_select(0, index));
                loss.backward();
                sum += loss.item<float>();
                optimizer.Step();
            }
            if ((s + 1) % perEpoch == 0)
            {
                losses.Add(sum / perEpoch);
                progress?.Report(new TrainingProgress(losses.Count, epochs, sum / perEpoch, n / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9), 0, 0, total.Elapsed));
                epochClock.Restart();
                sum = 0;
            }
        }
        return losses;
    }
}
