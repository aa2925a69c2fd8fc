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
                var x = options.Encoding.Features(set.Inputs.AsSpan(0, n * 2));
                var y = tensor(set.Targets.AsSpan(0, n * 6).ToArray(), [n, 6]);
                losses = DenseTrainingLoop.Run(network, x, y, options.Optimizer, options.BatchSize, options.Epochs, options.Seed, options.Threads, progress, cancellationToken);
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
}
