using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Trains HeadsNet: (head seed, sphere coordinate), through the options' encoding, → x, y, z, r, g, b.</summary>
public static class HeadsNetTrainer
{
    public static HeadsNetModel Train(HeadsNetTrainingSet set, HeadsNetOptions? options = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        options ??= new HeadsNetOptions();
        options.Validate();
        int n = options.SampleLimit is int limit ? Math.Min(limit, set.Count) : set.Count;
        if (n < 1) throw new ArgumentException("The training set is empty.", nameof(set));
        var network = new DenseNetwork(options.Architecture, options.Seed);
        try
        {
            IReadOnlyList<double> losses;
            using (var scope = NewDisposeScope())
            {
                var (inputs, targets) = options.MergeSharedVertices
                    ? MergeSharedVertices(set.Inputs.AsSpan(0, n * 2), set.Targets.AsSpan(0, n * 6))
                    : (set.Inputs.AsSpan(0, n * 2).ToArray(), set.Targets.AsSpan(0, n * 6).ToArray());
                var x = options.Encoding.Features(inputs);
                var y = tensor(targets, [targets.Length / 6, 6]);
                double final = options.FinalLearningRateFraction;
                Func<double, double>? schedule = final == 1 ? null : progressed => final + (1 - final) * 0.5 * (1 + Math.Cos(Math.PI * progressed));
                losses = DenseTrainingLoop.Run(network, x, y, options.Optimizer, options.BatchSize, options.Epochs, options.Seed, options.Threads, progress, cancellationToken, schedule);
            }
            var manifest = new ModelManifest
            {
                Kind = ModelKind.HeadsNet,
                Architecture = options.Architecture,
                Encoding = options.Encoding,
                HyperParameters = JsonSerializer.SerializeToNode(options, ModelManifest.JsonOptions) as JsonObject,
                DatasetId = set.Id,
                TrainingSamples = n,
                EpochLosses = losses,
            };
            return new HeadsNetModel(network, manifest);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Rows with equal (seed, sphere coordinate) averaged into one, in order of first appearance.</summary>
    public static (float[] Inputs, float[] Targets) MergeSharedVertices(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets)
    {
        if (inputs.Length % 2 != 0 || targets.Length != inputs.Length * 3)
            throw new ArgumentException($"Rows must be N × 2 inputs and N × 6 targets; got {inputs.Length} and {targets.Length} floats.");
        int n = inputs.Length / 2;
        var first = new Dictionary<(float Seed, float Coordinate), int>(n / 2);
        var sums = new List<double>(n * 3);
        var counts = new List<int>(n / 2);
        var keys = new List<(float, float)>(n / 2);
        for (int r = 0; r < n; r++)
        {
            var key = (inputs[r * 2], inputs[r * 2 + 1]);
            if (!first.TryGetValue(key, out int g))
            {
                first[key] = g = counts.Count;
                keys.Add(key);
                counts.Add(0);
                for (int c = 0; c < 6; c++) sums.Add(0);
            }
            counts[g]++;
            for (int c = 0; c < 6; c++) sums[g * 6 + c] += targets[r * 6 + c];
        }
        var mergedInputs = new float[keys.Count * 2];
        var mergedTargets = new float[keys.Count * 6];
        for (int g = 0; g < keys.Count; g++)
        {
            (mergedInputs[g * 2], mergedInputs[g * 2 + 1]) = keys[g];
            for (int c = 0; c < 6; c++) mergedTargets[g * 6 + c] = (float)(sums[g * 6 + c] / counts[g]);
        }
        return (mergedInputs, mergedTargets);
    }
}
