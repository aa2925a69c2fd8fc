using Heads.Core.Contracts;

namespace Heads.Core.Training.Jobs;

/// <summary>
/// Turns a <see cref="StartTraining"/> command into the engine's options: unset hyper-parameters keep the original project's
/// values (<see cref="HeadsNetOptions"/>, <see cref="FaceNetOptions.FaceNet1"/>, <see cref="FaceNetOptions.FaceNet3"/>,
/// <see cref="FaceNet2Options"/>). Invalid values throw <see cref="ArgumentException"/> naming the field.
/// </summary>
public static class TrainingJobOptions
{
    /// <summary>Checks every hyper-parameter the command sets for its model; throws <see cref="ArgumentException"/> on the first bad one.</summary>
    public static void Validate(StartTraining command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.JobId == Guid.Empty) throw new ArgumentException("The job id must not be empty.");
        ResourceIds.Validate(command.DatasetId, "dataset id");
        TrainingLimits.Check(command);
        switch (command.Model)
        {
            case TrainingModel.HeadsNet: HeadsNet(command, 0); break;
            case TrainingModel.FaceNet1 or TrainingModel.FaceNet3: FaceNet(command, 0); break;
            case TrainingModel.FaceNetPca: FaceNetPca(command, 0); break;
            case TrainingModel.FaceNet2: FaceNet2(command, 0); ShardSize(command); break;
            default: throw new ArgumentException($"Unknown model {command.Model}; use one of {string.Join(", ", Enum.GetNames<TrainingModel>())}.");
        }
        if (command.Loss is not null && command.Model == TrainingModel.HeadsNet)
            throw new ArgumentException("loss applies to the face models, not HeadsNet.");
        if (command.ShardSize is not null && command.Model != TrainingModel.FaceNet2)
            throw new ArgumentException($"shardSize applies to FaceNet2 only, not {command.Model}.");
        if (command.Encoding is not null && command.Model != TrainingModel.HeadsNet)
            throw new ArgumentException($"encoding applies to HeadsNet only, not {command.Model}.");
    }

    public static DatasetKind DatasetKindFor(TrainingModel model) => model == TrainingModel.HeadsNet ? DatasetKind.HeadsNet : DatasetKind.FaceNet;

    public static HeadsNetOptions HeadsNet(StartTraining command, int threads)
    {
        Expect(command, TrainingModel.HeadsNet);
        var defaults = Encoding(command) is { Kind: Models.HeadsNetEncodingKind.Original } ? HeadsNetOptions.Original : new HeadsNetOptions();
        var options = defaults with
        {
            Optimizer = Optimizer(command, defaults.Optimizer),
            BatchSize = command.BatchSize ?? defaults.BatchSize,
            Epochs = command.Epochs ?? defaults.Epochs,
            SampleLimit = command.SampleLimit ?? defaults.SampleLimit,
            Seed = command.Seed ?? defaults.Seed,
            Threads = threads,
        };
        Check(options.Validate);
        return options;
    }

    /// <summary>FaceNet1 or FaceNet3, from the command's model.</summary>
    public static FaceNetOptions FaceNet(StartTraining command, int threads)
    {
        ArgumentNullException.ThrowIfNull(command);
        var defaults = command.Model switch
        {
            TrainingModel.FaceNet1 => FaceNetOptions.FaceNet1,
            TrainingModel.FaceNet3 => FaceNetOptions.FaceNet3,
            _ => throw new ArgumentException($"{command.Model} is not trained as one FaceNet network."),
        };
        var options = defaults with
        {
            Optimizer = Optimizer(command, defaults.Optimizer),
            BatchSize = command.BatchSize ?? defaults.BatchSize,
            Epochs = command.Epochs ?? defaults.Epochs,
            SampleLimit = command.SampleLimit ?? defaults.SampleLimit,
            Seed = command.Seed ?? defaults.Seed,
            Threads = threads,
            Loss = Loss(command, defaults.Loss),
        };
        Check(options.Validate);
        return options;
    }

    /// <summary>The default face model; unset values keep <see cref="FaceNetPcaOptions"/>' defaults.</summary>
    public static FaceNetPcaOptions FaceNetPca(StartTraining command, int threads)
    {
        Expect(command, TrainingModel.FaceNetPca);
        var defaults = new FaceNetPcaOptions();
        var options = defaults with
        {
            Optimizer = Optimizer(command, defaults.Optimizer),
            BatchSize = command.BatchSize ?? defaults.BatchSize,
            Epochs = command.Epochs ?? defaults.Epochs,
            SampleLimit = command.SampleLimit ?? defaults.SampleLimit,
            Seed = command.Seed ?? defaults.Seed,
            Threads = threads,
            Loss = Loss(command, defaults.Loss),
        };
        Check(options.Validate);
        return options;
    }

    public static FaceNet2Options FaceNet2(StartTraining command, int threads)
    {
        Expect(command, TrainingModel.FaceNet2);
        var defaults = new FaceNet2Options();
        int shardSize = ShardSize(command);
        var options = defaults with
        {
            Optimizer = Optimizer(command, defaults.Optimizer),
            BatchSize = command.BatchSize ?? defaults.BatchSize,
            Epochs = command.Epochs ?? defaults.Epochs,
            SampleLimit = command.SampleLimit ?? defaults.SampleLimit,
            Seed = command.Seed ?? defaults.Seed,
            PruneConstantVoxels = command.PruneConstantVoxels,
            // A shard smaller than the engine's block trains as one ensemble; a larger one in blocks of the default size.
            EnsembleSize = Math.Min(shardSize, defaults.EnsembleSize),
            Threads = threads,
            Loss = Loss(command, defaults.Loss),
        };
        Check(options.Validate);
        return options;
    }

    /// <summary>The command's HeadsNet encoding (the default when unset); an unknown name throws, listing the allowed ones.</summary>
    public static Models.HeadsNetEncoding Encoding(StartTraining command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Encoding is null) return new HeadsNetOptions().Encoding;
        try
        {
            return Models.HeadsNetEncoding.Named(command.Encoding);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"Unknown encoding '{command.Encoding}'; use one of {string.Join(", ", Models.HeadsNetEncoding.Names)}.");
        }
    }

    public static int ShardSize(StartTraining command)
    {
        ArgumentNullException.ThrowIfNull(command);
        int size = command.ShardSize ?? VoxelShardPlan.DefaultShardSize;
        if (size is < TrainingLimits.MinShardSize or > TrainingLimits.MaxShardSize)
            throw new ArgumentException($"shardSize must be {TrainingLimits.MinShardSize}..{TrainingLimits.MaxShardSize} voxels; it was {size}.");
        return size;
    }

    private static OptimizerOptions Optimizer(StartTraining command, OptimizerOptions defaults)
    {
        var kind = defaults.Kind;
        if (!string.IsNullOrWhiteSpace(command.Optimizer))
        {
            var name = command.Optimizer.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            if (int.TryParse(name, out _) || !Enum.TryParse(name, ignoreCase: true, out kind) || !Enum.IsDefined(kind))
                throw new ArgumentException($"Unknown optimizer '{command.Optimizer}'; use one of {string.Join(", ", Enum.GetNames<OptimizerKind>())}.");
        }
        if (command.LearningRate is double lr && !(lr > 0 && double.IsFinite(lr)))
            throw new ArgumentException($"learningRate must be a positive number; it was {lr}.");
        return defaults with { Kind = kind, LearningRate = command.LearningRate ?? defaults.LearningRate };
    }

    private static Training.VolumeLoss Loss(StartTraining command, Training.VolumeLoss defaults)
    {
        if (command.Loss is null) return defaults;
        return Training.VolumeLosses.TryParse(command.Loss, out var loss)
            ? loss
            : throw new ArgumentException($"Unknown loss '{command.Loss}'; use mse, empty-aware or empty-aware-absolute.");
    }

    private static void Expect(StartTraining command, TrainingModel model)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Model != model) throw new ArgumentException($"These options are for {model}, not {command.Model}.");
    }

    /// <summary>The engine throws ArgumentOutOfRangeException naming its own parameter; say which command field it was.</summary>
    private static void Check(Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"Invalid hyper-parameter: {e.Message}", e);
        }
    }
}
