using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Trains FaceNet1 or FaceNet3: one network from a face to the whole 32³ volume.</summary>
public static class FaceNetTrainer
{
    public static FaceNetModel Train(FaceNetTrainingSet set, FaceNetOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var data = options.SampleLimit is int limit ? set.Take(limit) : set;
        if (data.Count < 1) throw new ArgumentException("The training set is empty.", nameof(set));
        var network = new DenseNetwork(options.Architecture, options.Seed);
        try
        {
            IReadOnlyList<double> losses;
            using (var scope = NewDisposeScope())
            {
                var x = VolumePostProcessing.Scale(data.Faces, FaceNetTrainingSet.FacePixels);
                var y = VolumePostProcessing.Scale(data.Volumes, FaceNetTrainingSet.VolumeVoxels);
                losses = DenseTrainingLoop.Run(network, x, y, options.Optimizer, options.BatchSize, options.Epochs, options.Seed, options.Threads, progress, cancellationToken);
            }
            var manifest = new ModelManifest
            {
                Kind = options.Kind,
                Architecture = options.Architecture,
                HyperParameters = JsonSerializer.SerializeToNode(options, ModelManifest.JsonOptions) as JsonObject,
                DatasetId = set.Id,
                TrainingSamples = data.Count,
                EpochLosses = losses,
            };
            return new FaceNetModel(network, manifest);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
