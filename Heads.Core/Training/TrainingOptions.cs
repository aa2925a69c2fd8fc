using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>Progress of a training run, for service metrics and logs.</summary>
/// <param name="Epoch">Epochs finished (1-based) in the current block of networks.</param>
/// <param name="Loss">Mean training loss of that epoch (per-voxel MSE averaged over voxels for FaceNet2).</param>
/// <param name="SamplesPerSecond">Training rows processed per second in that epoch (a row through all nets of an ensemble counts once).</param>
/// <param name="VoxelsDone">FaceNet2: voxels finished so far in the shard (pruned ones count at once); 0 for other models.</param>
/// <param name="VoxelsTotal">FaceNet2: voxels in the shard; 0 for other models.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, double Loss, double SamplesPerSecond, int VoxelsDone, int VoxelsTotal, TimeSpan Elapsed);

/// <summary>
/// HeadsNet training: the encoding's inputs → 384 ×4 selu → 6, MSE, batch 256. The default is
/// <see cref="HeadsNetEncoding.SphereFourier"/> with Adam 2e-3 decaying to 5 % of it over 10 epochs on merged shared
/// vertices (the pipeline's 34 synthetic training heads then meet <see cref="HeadsNetQualityReport"/>'s bar in ~130 s of
/// one core); <see cref="Original"/> is the original exactly (2 inputs, Adam 1e-3, 3 epochs).
/// </summary>
public sealed record HeadsNetOptions
{
    /// <summary>The original: (seed, index / 10242) → 384 ×4 selu → 6; Adam 1e-3, MSE, batch 256, 3 epochs.</summary>
    public static HeadsNetOptions Original { get; } = new()
    {
        Encoding = HeadsNetEncoding.Original, Optimizer = new OptimizerOptions(), Epochs = 3, FinalLearningRateFraction = 1, MergeSharedVertices = false,
    };

    private readonly DenseArchitecture? _architecture;

    public HeadsNetEncoding Encoding { get; init; } = HeadsNetEncoding.SphereFourier;

    /// <summary>Unless set, the original's hidden layers with as many inputs as the encoding has features.</summary>
    public DenseArchitecture Architecture
    {
        get => _architecture ?? DenseArchitecture.HeadsNet with { Inputs = Encoding?.Width ?? DenseArchitecture.HeadsNet.Inputs };
        init => _architecture = value;
    }

    public OptimizerOptions Optimizer { get; init; } = new() { LearningRate = 2e-3 };
    public int BatchSize { get; init; } = 256;
    public int Epochs { get; init; } = 10;
    /// <summary>Train on the first N rows only; null for all.</summary>
    public int? SampleLimit { get; init; }
    public int Seed { get; init; }
    /// <summary>Threads for the optimiser loops; 0 uses TorchSharp's thread count.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// The learning rate falls along a cosine from the full rate to this fraction of it by the last step; 1 keeps it
    /// constant, as the original. A short run ends far closer to the surface when its last steps are small.
    /// </summary>
    public double FinalLearningRateFraction { get; init; } = 0.05;

    /// <summary>
    /// Rows of one head that share a sphere coordinate (~3 mesh vertices per icosphere vertex) are averaged into one row
    /// before training: the network can only learn their mean, and an epoch gets ~3× shorter. Off in the original.
    /// </summary>
    public bool MergeSharedVertices { get; init; } = true;

    internal void Validate()
    {
        if (!(FinalLearningRateFraction > 0 && FinalLearningRateFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(FinalLearningRateFraction), FinalLearningRateFraction, "The final learning-rate fraction must be in (0, 1].");
        ArgumentNullException.ThrowIfNull(Encoding);
        Encoding.Validate();
        ArgumentNullException.ThrowIfNull(Architecture);
        Architecture.Validate();
        if (Architecture.Inputs != Encoding.Width || Architecture.Outputs != 6)
            throw new ArgumentException($"A {Encoding.Kind} HeadsNet maps {Encoding.Width} inputs to 6 outputs, not {Architecture}.", nameof(Architecture));
        TrainingChecks.Common(Optimizer, BatchSize, Epochs, SampleLimit);
    }
}

/// <summary>FaceNet1 / FaceNet3 training (one network for the whole volume).</summary>
public sealed record FaceNetOptions
{
    /// <summary>FaceNet1: selu; batch 6, 777 epochs, first 90 samples.</summary>
    public static FaceNetOptions FaceNet1 { get; } = new() { Kind = ModelKind.FaceNet1, Architecture = DenseArchitecture.FaceNet1, Epochs = 777, SampleLimit = 90 };

    /// <summary>FaceNet3: gelu, Glorot-uniform; batch 6, 166 epochs.</summary>
    public static FaceNetOptions FaceNet3 { get; } = new() { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3, Epochs = 166, SampleLimit = null };

    public ModelKind Kind { get; init; } = ModelKind.FaceNet3;
    public DenseArchitecture Architecture { get; init; } = DenseArchitecture.FaceNet3;
    public OptimizerOptions Optimizer { get; init; } = new();
    public int BatchSize { get; init; } = 6;
    public int Epochs { get; init; } = 166;
    public int? SampleLimit { get; init; }
    public int Seed { get; init; }
    public int Threads { get; init; }
    /// <summary>MSE as the original; <see cref="VolumeLoss.EmptyAware"/> is the better choice for IoU.</summary>
    public VolumeLoss Loss { get; init; } = VolumeLoss.Mse;
    /// <summary>How the nets are trained; both give the same nets (to float rounding), the cache-resident engine ~6× faster.</summary>
    public VoxelEngine Engine { get; init; } = VoxelEngine.CacheResident;

    internal void Validate()
    {
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Unknown loss.");
        if (!Enum.IsDefined(Engine)) throw new ArgumentOutOfRangeException(nameof(Engine), Engine, "Unknown voxel engine.");
        if (Kind is not (ModelKind.FaceNet1 or ModelKind.FaceNet3))
            throw new ArgumentException($"FaceNetOptions train FaceNet1 or FaceNet3, not {Kind}.", nameof(Kind));
        ArgumentNullException.ThrowIfNull(Architecture);
        Architecture.Validate();
        if (Architecture.Inputs != FaceNetTrainingSet.FacePixels || Architecture.Outputs != FaceNetTrainingSet.VolumeVoxels)
            throw new ArgumentException($"A FaceNet maps {FaceNetTrainingSet.FacePixels} pixels to {FaceNetTrainingSet.VolumeVoxels} voxels, not {Architecture}.", nameof(Architecture));
        TrainingChecks.Common(Optimizer, BatchSize, Epochs, SampleLimit);
    }
}

/// <summary>How FaceNet2's voxel nets are trained.</summary>
public enum VoxelEngine
{
    /// <summary><see cref="CacheResidentTraining"/>: each thread runs one net's whole schedule while it sits in cache.</summary>
    CacheResident,
    /// <summary><see cref="EnsembleTrainingSession"/>: blocks of <see cref="FaceNet2Options.EnsembleSize"/> nets step together.</summary>
    Ensemble,
}

/// <summary>FaceNet2 training: one 1024 → 32 ×7 gelu → 1 network per voxel; Adam 1e-3, MSE, batch 6, 166 epochs, first 90 samples.</summary>
public sealed record FaceNet2Options
{
    public DenseArchitecture Architecture { get; init; } = DenseArchitecture.FaceNet2Voxel;
    public OptimizerOptions Optimizer { get; init; } = new();
    public int BatchSize { get; init; } = 6;
    public int Epochs { get; init; } = 166;
    public int? SampleLimit { get; init; } = 90;
    public int Seed { get; init; }
    /// <summary>Voxels whose target is constant over the training samples are stored as that constant instead of trained.</summary>
    public bool PruneConstantVoxels { get; init; } = true;
    /// <summary>Most networks trained at once; a larger shard is trained in blocks of this size (bounds memory: ~0.47 MB per net with Adam).</summary>
    public int EnsembleSize { get; init; } = 2048;
    public int Threads { get; init; }
    /// <summary>MSE as the original; <see cref="VolumeLoss.EmptyAware"/> is the better choice for IoU.</summary>
    public VolumeLoss Loss { get; init; } = VolumeLoss.Mse;
    /// <summary>How the nets are trained; both give the same nets (to float rounding), the cache-resident engine ~6× faster.</summary>
    public VoxelEngine Engine { get; init; } = VoxelEngine.CacheResident;

    internal void Validate()
    {
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Unknown loss.");
        if (!Enum.IsDefined(Engine)) throw new ArgumentOutOfRangeException(nameof(Engine), Engine, "Unknown voxel engine.");
        ArgumentNullException.ThrowIfNull(Architecture);
        Architecture.Validate();
        if (Architecture.Inputs != FaceNetTrainingSet.FacePixels || Architecture.Outputs != 1)
            throw new ArgumentException($"A FaceNet2 voxel network maps {FaceNetTrainingSet.FacePixels} pixels to one voxel, not {Architecture}.", nameof(Architecture));
        if (EnsembleSize is < 1 or > 8192) throw new ArgumentOutOfRangeException(nameof(EnsembleSize), EnsembleSize, "The ensemble size must be 1..8192.");
        TrainingChecks.Common(Optimizer, BatchSize, Epochs, SampleLimit);
    }
}

internal static class TrainingChecks
{
    public static void Common(OptimizerOptions optimizer, int batchSize, int epochs, int? sampleLimit)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.Validate();
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Training needs at least one epoch.");
        if (sampleLimit is < 1) throw new ArgumentOutOfRangeException(nameof(sampleLimit), sampleLimit, "The sample limit must be at least 1 (or null for all).");
    }
}
