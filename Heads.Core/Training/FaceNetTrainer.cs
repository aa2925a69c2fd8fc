using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Trains FaceNet1 or FaceNet3: one network from a face to the whole 32³ volume.</summary>
public static class FaceNetTrainer
{
    /// <param name="validation">Heads not fitted, whose loss is measured after each epoch (for the loss curves); the weights of the last epoch are kept, as the original.</param>
    public static FaceNetModel Train(FaceNetTrainingSet set, FaceNetOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        FaceNetTrainingSet? validation = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var data = options.SampleLimit is int limit ? set.Take(limit) : set;
        if (data.Count < 1) throw new ArgumentException("The training set is empty.", nameof(set));
        var network = new DenseNetwork(options.Architecture, options.Seed);
        try
        {
            TrainingCurve curve;
            using (var scope = NewDisposeScope())
            {
                var x = VolumePostProcessing.Scale(data.Faces, FaceNetTrainingSet.FacePixels);
                var y = VolumePostProcessing.Scale(data.Volumes, FaceNetTrainingSet.VolumeVoxels);
                Tensor? vx = null, vy = null;
                if (validation is { Count: > 0 })
                {
                    vx = VolumePostProcessing.Scale(validation.Faces, FaceNetTrainingSet.FacePixels);
                    vy = VolumePostProcessing.Scale(validation.Volumes, FaceNetTrainingSet.VolumeVoxels);
                }
                curve = DenseTrainingLoop.Run(network, network.forward, network.parameters(), x, y, (p, t) => options.Loss.Mean(p, t), options.Optimizer, options.BatchSize,
                    options.Epochs, options.Seed, options.Threads, progress, cancellationToken, vx, vy);
            }
            var manifest = new ModelManifest
            {
                Kind = options.Kind,
                Architecture = options.Architecture,
                HyperParameters = JsonSerializer.SerializeToNode(options, ModelManifest.JsonOptions) as JsonObject,
                DatasetId = set.Id,
                TrainingSamples = data.Count,
                EpochLosses = curve.Losses,
                ValidationLosses = curve.ValidationLosses,
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
