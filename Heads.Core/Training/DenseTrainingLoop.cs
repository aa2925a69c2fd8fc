using System.Diagnostics;
using Heads.Core.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>What a training run measured: the mean training loss of each epoch, the validation loss of each epoch (empty without validation data) and the epoch kept.</summary>
public sealed record TrainingCurve(IReadOnlyList<double> Losses, IReadOnlyList<double> ValidationLosses, int KeptEpoch);

/// <summary>Minibatch training of one network with an <see cref="InPlaceOptimizer"/> (HeadsNet, FaceNet1, FaceNet3, FaceNetPca).</summary>
internal static class DenseTrainingLoop
{
    /// <returns>The mean loss of each epoch.</returns>
    public static IReadOnlyList<double> Run(DenseNetwork network, Tensor inputs, Tensor targets, OptimizerOptions optimizerOptions,
        int batchSize, int epochs, int seed, int threads, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        Func<double, double>? learningRateScale = null) =>
        Run(network, network.forward, network.parameters(), inputs, targets, (p, t) => nn.functional.mse_loss(p, t), optimizerOptions,
            batchSize, epochs, seed, threads, progress, cancellationToken, learningRateScale: learningRateScale).Losses;

    /// <summary>
    /// Trains <paramref name="parameters"/> through <paramref name="forward"/> with <paramref name="loss"/>. With validation data, each
    /// epoch's validation loss is measured (in eval mode, no gradients) and, when <paramref name="keepBest"/>, the parameters of the
    /// epoch with the lowest validation loss are restored at the end. <paramref name="learningRateScale"/> maps the share of the
    /// run done to a multiple of the learning rate (none: constant, as the originals).
    /// </summary>
    public static TrainingCurve Run(nn.Module module, Func<Tensor, Tensor> forward, IEnumerable<Parameter> parameters, Tensor inputs, Tensor targets,
        Func<Tensor, Tensor, Tensor> loss, OptimizerOptions optimizerOptions, int batchSize, int epochs, int seed, int threads,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken,
        Tensor? validationInputs = null, Tensor? validationTargets = null, bool keepBest = false, Func<double, double>? learningRateScale = null)
    {
        var trained = parameters.ToList();
        int n = (int)inputs.shape[0];
        var batches = BatchSchedule.Create(n, batchSize, epochs, seed);
        int perEpoch = BatchSchedule.StepsPerEpoch(n, batchSize);
        using var optimizer = new InPlaceOptimizer(trained, optimizerOptions, threads);
        var losses = new List<double>(epochs);
        var validationLosses = new List<double>(epochs);
        bool validate = validationInputs is not null && validationTargets is not null && validationInputs.shape[0] > 0;
        Tensor[]? best = null;
        double bestLoss = double.PositiveInfinity;
        int kept = epochs;
        var total = Stopwatch.StartNew();
        var epochClock = Stopwatch.StartNew();
        double sum = 0;
        module.train();
        try
        {
            for (int s = 0; s < batches.Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A schedule: the fraction of the run done → the multiple of the learning rate for this step.
                if (learningRateScale is not null) optimizer.LearningRateScale = learningRateScale((double)s / batches.Count);
                using (var scope = NewDisposeScope())
                {
                    var index = tensor(batches[s].Select(i => (long)i).ToArray());
                    var value = loss(forward(inputs.index_select(0, index)), targets.index_select(0, index));
                    value.backward();
                    sum += value.item<float>();
                    optimizer.Step();
                }
                if ((s + 1) % perEpoch != 0) continue;
                losses.Add(sum / perEpoch);
                if (validate)
                {
                    double v = Evaluate(module, forward, loss, validationInputs!, validationTargets!);
                    validationLosses.Add(v);
                    if (keepBest && v < bestLoss)
                    {
                        bestLoss = v;
                        kept = losses.Count;
                        best = Snapshot(trained, best);
                    }
                }
                progress?.Report(new TrainingProgress(losses.Count, epochs, sum / perEpoch, n / Math.Max(epochClock.Elapsed.TotalSeconds, 1e-9), 0, 0, total.Elapsed));
                epochClock.Restart();
                sum = 0;
            }
            if (best is not null)
            {
                using var noGrad = no_grad();
                for (int i = 0; i < trained.Count; i++) trained[i].copy_(best[i]);
            }
        }
        finally
        {
            module.eval();
            if (best is not null) foreach (var t in best) t.Dispose();
        }
        return new TrainingCurve(losses, validationLosses, kept);
    }

    private static double Evaluate(nn.Module module, Func<Tensor, Tensor> forward, Func<Tensor, Tensor, Tensor> loss, Tensor inputs, Tensor targets)
    {
        module.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return loss(forward(inputs), targets).item<float>();
        }
        finally
        {
            module.train();
        }
    }

    private static Tensor[] Snapshot(List<Parameter> parameters, Tensor[]? into)
    {
        using var noGrad = no_grad();
        if (into is null) return parameters.Select(p => p.detach().clone().DetachFromDisposeScope()).ToArray();
        for (int i = 0; i < parameters.Count; i++) into[i].copy_(parameters[i]);
        return into;
    }
}
