using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>
/// Trains the FaceNet2 networks of one shard of voxels: prunes voxels that are constant over the training samples, then
/// trains the rest as voxel ensembles (<see cref="FaceNet2Options.EnsembleSize"/> nets at a time). A voxel's result depends
/// only on the data, the options and its index, not on how voxels are grouped into shards or blocks.
/// </summary>
public static class VoxelShardTrainer
{
    public static VoxelShard Train(FaceNetTrainingSet set, int firstVoxel, int voxelCount, FaceNet2Options? options = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        options ??= new FaceNet2Options();
        options.Validate();
        if (firstVoxel < 0 || voxelCount < 1 || (long)firstVoxel + voxelCount > FaceNetTrainingSet.VolumeVoxels)
            throw new ArgumentOutOfRangeException(nameof(voxelCount), $"Voxels {firstVoxel}..{(long)firstVoxel + voxelCount - 1} are outside 0..{FaceNetTrainingSet.VolumeVoxels - 1}.");
        var data = options.SampleLimit is int limit ? set.Take(limit) : set;
        if (data.Count < 1) throw new ArgumentException("The training set is empty.", nameof(set));
        int n = data.Count;

        var trained = new List<int>();
        var constant = new List<int>();
        var constantValues = new List<byte>();
        for (int v = firstVoxel; v < firstVoxel + voxelCount; v++)
        {
            byte first = data.Volumes[v];
            bool isConstant = options.PruneConstantVoxels;
            for (int s = 1; s < n && isConstant; s++) isConstant = data.Volumes[(long)s * FaceNetTrainingSet.VolumeVoxels + v] == first;
            if (isConstant) { constant.Add(v); constantValues.Add(first); }
            else trained.Add(v);
        }

        var inputs = data.ScaledFaces();
        var clock = Stopwatch.StartNew();
        var epochLosses = new double[options.Epochs];
        var blocks = new List<VoxelEnsemble>();
        int done = constant.Count;
        VoxelEnsemble? merged = null;
        try
        {
            if (options.Engine == VoxelEngine.CacheResident && trained.Count > 0)
            {
                var ensemble = new VoxelEnsemble(options.Architecture, trained, options.Seed);
                blocks.Add(ensemble);
                // First, only the pruned voxels are done (progress counts them apart from the trained ones).
                progress?.Report(new TrainingProgress(0, options.Epochs, 0, 0, constant.Count, voxelCount, clock.Elapsed));
                double finalLossSum = 0;
                var losses = CacheResidentTraining.Train(ensemble, inputs, Targets(data, trained), options.Optimizer, options.Loss,
                    options.Epochs, options.BatchSize, options.Seed, options.Threads, (netsDone, finalLoss) =>
                    {
                        double mean;
                        lock (epochLosses) mean = (finalLossSum += finalLoss) / netsDone;
                        double seconds = Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                        progress?.Report(new TrainingProgress(options.Epochs, options.Epochs, mean, (double)n * options.Epochs * netsDone / seconds,
                            constant.Count + netsDone, voxelCount, clock.Elapsed));
                    }, cancellationToken);
                losses.CopyTo(epochLosses, 0);
            }
            else for (int start = 0; start < trained.Count; start += options.EnsembleSize)
            {
                var voxels = trained.GetRange(start, Math.Min(options.EnsembleSize, trained.Count - start));
                var targets = Targets(data, voxels);
                var ensemble = new VoxelEnsemble(options.Architecture, voxels, options.Seed);
                blocks.Add(ensemble);
                using var session = new EnsembleTrainingSession(ensemble, inputs, targets, options.Optimizer, options.Threads, options.Loss);
                int blockDone = done + voxels.Count;
                var losses = session.Train(options.Epochs, options.BatchSize, options.Seed, (epoch, loss, seconds) =>
                {
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, loss, n / Math.Max(seconds, 1e-9),
                        epoch == options.Epochs ? blockDone : done, voxelCount, clock.Elapsed));
                }, cancellationToken);
                for (int e = 0; e < losses.Count; e++) epochLosses[e] += losses[e] * voxels.Count / trained.Count;
                done = blockDone;
            }
            if (trained.Count == 0)
                progress?.Report(new TrainingProgress(options.Epochs, options.Epochs, 0, 0, voxelCount, voxelCount, clock.Elapsed));

            var manifest = new ModelManifest
            {
                Kind = ModelKind.FaceNet2Shard,
                Architecture = options.Architecture,
                HyperParameters = JsonSerializer.SerializeToNode(options, ModelManifest.JsonOptions) as JsonObject,
                DatasetId = set.Id,
                TrainingSamples = n,
                Voxels = new VoxelRange(firstVoxel, voxelCount, trained.Count, constant.Count),
                EpochLosses = trained.Count > 0 ? epochLosses : [],
            };
            merged = Merge(options.Architecture, blocks);
            return new VoxelShard(manifest, trained.ToArray(), constant.ToArray(), constantValues.ToArray(), merged);
        }
        catch
        {
            merged?.Dispose();
            throw;
        }
        finally
        {
            foreach (var b in blocks)
                if (!ReferenceEquals(b, merged)) b.Dispose();
        }
    }

    /// <summary>Sample-major targets N × V: column j is voxel <paramref name="voxels"/>[j] / 255 of each sample.</summary>
    private static float[] Targets(FaceNetTrainingSet data, IReadOnlyList<int> voxels)
    {
        int n = data.Count;
        var targets = new float[(long)n * voxels.Count];
        for (int s = 0; s < n; s++)
        {
            long row = (long)s * FaceNetTrainingSet.VolumeVoxels;
            for (int j = 0; j < voxels.Count; j++) targets[(long)s * voxels.Count + j] = data.Volumes[row + voxels[j]] / 255f;
        }
        return targets;
    }

    /// <summary>
    /// Native memory a shard of <paramref name="trainedVoxels"/> nets needs while it trains on <paramref name="samples"/>
    /// samples: the shard's weights, the inputs and targets, and per thread either the cache-resident engine's one net or
    /// an ensemble block's weights, gradients and optimiser state.
    /// </summary>
    public static long EstimatedBytes(FaceNet2Options options, int trainedVoxels, int samples)
    {
        ArgumentNullException.ThrowIfNull(options);
        long parameters = options.Architecture.ParameterCount;
        long weights = parameters * trainedVoxels * sizeof(float);
        long data = ((long)samples * (options.Architecture.Inputs + 16) + (long)samples * trainedVoxels) * sizeof(float);
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        long working = options.Engine == VoxelEngine.CacheResident
            ? threads * CacheResidentTraining.BytesPerThread(options.Architecture, options.Optimizer, options.BatchSize)
            : parameters * Math.Min(trainedVoxels, options.EnsembleSize) * (2L + options.Optimizer.StateCount) * sizeof(float);
        return weights + data + working;
    }

    /// <summary>Joins block ensembles into one (the single-block case is passed through without a copy).</summary>
    private static VoxelEnsemble? Merge(DenseArchitecture architecture, List<VoxelEnsemble> blocks)
    {
        if (blocks.Count == 0) return null;
        if (blocks.Count == 1) return blocks[0];
        using var scope = NewDisposeScope();
        var weights = new List<Tensor>();
        var biases = new List<Tensor>();
        for (int l = 0; l < architecture.LayerCount; l++)
        {
            weights.Add(cat(blocks.Select(b => b.LinearWeight(l)).ToArray(), 0));
            biases.Add(cat(blocks.Select(b => b.LinearBias(l)).ToArray(), 0));
        }
        return new VoxelEnsemble(architecture, weights, biases);
    }
}
