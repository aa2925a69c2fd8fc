using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>
/// FaceNetPca training: 1024 → <see cref="HiddenUnits"/> ×<see cref="HiddenLayers"/> <see cref="Activation"/> (dropout) → the
/// coefficients of the first <see cref="Components"/> principal components of the training volumes; the loss is taken on the
/// decoded volume. Defaults are the ones that beat ridge regression on held-out heads (see the quality benchmark).
/// </summary>
public sealed record FaceNetPcaOptions
{
    public int Components { get; init; } = 64;
    public int HiddenUnits { get; init; } = 1024;
    public int HiddenLayers { get; init; } = 1;
    /// <summary>
    /// Networks trained independently (seeds Seed, Seed + 1, …) and averaged. The average of one-hidden-layer MLPs that share their
    /// input and decoder is itself one MLP whose hidden layer is theirs side by side, so the saved model is a single plain
    /// MLP of <see cref="Members"/> × <see cref="HiddenUnits"/> units; averaging removes much of each network's variance.
    /// </summary>
    public int Members { get; init; } = 1;
    public Activation Activation { get; init; } = Activation.Relu;
    public double Dropout { get; init; } = 0.5;
    public OptimizerOptions Optimizer { get; init; } = new();
    public int BatchSize { get; init; } = 32;
    /// <summary>The epoch with the lowest validation loss is kept: 52 of 100 on 761 fitted heads, later on fewer.</summary>
    public int Epochs { get; init; } = 100;
    public VolumeLoss Loss { get; init; } = VolumeLoss.EmptyAwareAbsolute;
    /// <summary>
    /// Train the decoder's per-voxel offset (initialised to the mean volume). The principal components span shells of heads, not
    /// "below zero outside the head", so a fixed mean keeps a faint haze the empty-aware loss could otherwise remove.
    /// </summary>
    public bool TrainOffset { get; init; } = true;
    /// <summary>Fine-tune the principal directions themselves (initialised by PCA): the output layer becomes an ordinary trained linear layer.</summary>
    public bool TrainBasis { get; init; }
    /// <summary>Keep the weights of the epoch with the lowest validation loss (when validation heads are given).</summary>
    public bool KeepBestEpoch { get; init; } = true;
    public int? SampleLimit { get; init; }
    public int Seed { get; init; }
    public int Threads { get; init; }

    /// <summary>One member's network for <paramref name="components"/> coefficients (at most one fewer than the training heads).</summary>
    public DenseArchitecture ArchitectureFor(int components) =>
        new(FaceNetTrainingSet.FacePixels, HiddenLayers, HiddenUnits, components, Activation, WeightInit.GlorotUniform, Dropout);

    /// <summary>The saved network: the members' hidden layers side by side.</summary>
    public DenseArchitecture CombinedArchitectureFor(int components) => ArchitectureFor(components) with { Units = HiddenUnits * Members };

    internal void Validate()
    {
        if (Components is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(Components), Components, "Components must be 1..1024.");
        if (HiddenUnits is < 1 or > 8192) throw new ArgumentOutOfRangeException(nameof(HiddenUnits), HiddenUnits, "Hidden units must be 1..8192.");
        if (HiddenLayers is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(HiddenLayers), HiddenLayers, "Hidden layers must be 1..8.");
        if (!Enum.IsDefined(Loss)) throw new ArgumentOutOfRangeException(nameof(Loss), Loss, "Unknown loss.");
        if (Members is < 1 or > 16) throw new ArgumentOutOfRangeException(nameof(Members), Members, "Members must be 1..16.");
        if (Members > 1 && (HiddenLayers != 1 || TrainBasis))
            throw new ArgumentException("Averaged members need one hidden layer and a fixed basis (their average is then one MLP).", nameof(Members));
        ArchitectureFor(Components).Validate();
        TrainingChecks.Common(Optimizer, BatchSize, Epochs, SampleLimit);
    }
}

public static class FaceNetPcaTrainer
{
    public static FaceNetPcaModel Train(FaceNetTrainingSet set, FaceNetTrainingSet? validation = null, FaceNetPcaOptions? options = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        options ??= new FaceNetPcaOptions();
        options.Validate();
        var data = options.SampleLimit is int limit ? set.Take(limit) : set;
        if (data.Count < 2) throw new ArgumentException($"FaceNetPca needs at least 2 training heads for its principal components; the set has {data.Count}.", nameof(set));
        // Dropout draws from the global generator.
        random.manual_seed(options.Seed);
        Tensor? basis = null, mean = null, faceMean = null, faceScale = null;
        DenseNetwork? network = null;
        try
        {
            TrainingCurve curve;
            DenseArchitecture architecture;
            using (var scope = NewDisposeScope())
            {
                var y = VolumePostProcessing.Scale(data.Volumes, FaceNetTrainingSet.VolumeVoxels);
                var (b, m) = PrincipalComponents(y, Math.Min(options.Components, data.Count - 1));
                basis = b.MoveToOuterDisposeScope();
                mean = m.MoveToOuterDisposeScope();
                architecture = options.ArchitectureFor((int)basis.shape[0]);
                var raw = VolumePostProcessing.Scale(data.Faces, FaceNetTrainingSet.FacePixels);
                using Scalar epsilon = 1e-3f;
                faceMean = raw.mean([0]).MoveToOuterDisposeScope();
                faceScale = raw.std([0]).clamp_min(epsilon).reciprocal().MoveToOuterDisposeScope();
                var x = FaceNetPcaModel.Standardize(raw, faceMean, faceScale);
                Tensor? vx = null, vy = null;
                if (validation is { Count: > 0 })
                {
                    vx = FaceNetPcaModel.Standardize(VolumePostProcessing.Scale(validation.Faces, FaceNetTrainingSet.FacePixels), faceMean, faceScale);
                    vy = VolumePostProcessing.Scale(validation.Volumes, FaceNetTrainingSet.VolumeVoxels);
                }
                var losses = new double[options.Epochs];
                var validationLosses = new double[vx is null ? 0 : options.Epochs];
                var members = new List<(DenseNetwork Network, Tensor Offset)>();
                int keptSum = 0;
                try
                {
                    for (int member = 0; member < options.Members; member++)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        var memberNetwork = new DenseNetwork(architecture, options.Seed + member);
                        // Trained decoder parts are parameters beside the network's; afterwards their values become the model's fixed tensors.
                        var decoder = options.TrainBasis ? new TorchSharp.Modules.Parameter(basis.clone(), requires_grad: true) : basis;
                        var offset = options.TrainOffset ? new TorchSharp.Modules.Parameter(mean.clone(), requires_grad: true) : mean;
                        members.Add((memberNetwork, offset));
                        var trained = memberNetwork.parameters().ToList();
                        if (decoder is TorchSharp.Modules.Parameter pb) trained.Add(pb);
                        if (offset is TorchSharp.Modules.Parameter po) trained.Add(po);
                        var memberCurve = DenseTrainingLoop.Run(memberNetwork, f => memberNetwork.forward(f).mm(decoder).add(offset), trained, x, y,
                            (p, t) => options.Loss.Mean(p, t), options.Optimizer, options.BatchSize, options.Epochs, options.Seed + member, options.Threads,
                            progress, cancellationToken, vx, vy, options.KeepBestEpoch);
                        for (int e = 0; e < losses.Length; e++) losses[e] += memberCurve.Losses[e] / options.Members;
                        for (int e = 0; e < validationLosses.Length; e++) validationLosses[e] += memberCurve.ValidationLosses[e] / options.Members;
                        keptSum += memberCurve.KeptEpoch;
                        if (!ReferenceEquals(decoder, basis)) using (no_grad()) basis.copy_(decoder);
                    }
                    network = Combine(members.Select(m => m.Network).ToList(), options.CombinedArchitectureFor((int)basis.shape[0]));
                    architecture = network.Architecture;
                    using (no_grad()) mean.copy_(stack(members.Select(m => m.Offset).ToArray()).mean([0]));
                }
                finally
                {
                    foreach (var (memberNetwork, _) in members)
                        if (!ReferenceEquals(memberNetwork, network)) memberNetwork.Dispose();
                }
                curve = new TrainingCurve(losses, validationLosses, (int)Math.Round((double)keptSum / options.Members));
            }
            var manifest = new ModelManifest
            {
                Kind = ModelKind.FaceNetPca,
                Architecture = architecture,
                HyperParameters = JsonSerializer.SerializeToNode(options, ModelManifest.JsonOptions) as JsonObject,
                DatasetId = set.Id,
                TrainingSamples = data.Count,
                EpochLosses = curve.Losses,
                ValidationLosses = curve.ValidationLosses,
                KeptEpoch = curve.ValidationLosses.Count > 0 ? curve.KeptEpoch : null,
            };
            return new FaceNetPcaModel(network, basis, mean, faceMean!, faceScale!, manifest);
        }
        catch
        {
            network?.Dispose();
            basis?.Dispose();
            mean?.Dispose();
            faceMean?.Dispose();
            faceScale?.Dispose();
            throw;
        }
    }

    /// <summary>One network equal to the average of one-hidden-layer <paramref name="members"/>: hidden units side by side, output weights / M.</summary>
    private static DenseNetwork Combine(IReadOnlyList<DenseNetwork> members, DenseArchitecture combined)
    {
        if (members.Count == 1) return members[0];
        var network = new DenseNetwork(combined, 0);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using Scalar count = (double)members.Count;
        network.Weight(0).copy_(cat(members.Select(m => m.Weight(0)).ToArray(), 0));
        network.Bias(0).copy_(cat(members.Select(m => m.Bias(0)).ToArray(), 0));
        network.Weight(1).copy_(cat(members.Select(m => m.Weight(1)).ToArray(), 1).div(count));
        network.Bias(1).copy_(stack(members.Select(m => m.Bias(1)).ToArray()).mean([0]));
        return network;
    }

    /// <summary>
    /// The first <paramref name="components"/> principal directions of the volumes [N, 32768] through the N × N Gram matrix (N is far
    /// below 32768), each scaled by its standard deviation so the network's targets have unit variance; and the mean volume.
    /// </summary>
    public static (Tensor Basis, Tensor Mean) PrincipalComponents(Tensor volumes, int components)
    {
        using var scope = NewDisposeScope();
        long n = volumes.shape[0];
        if (components < 1 || components > n - 1) throw new ArgumentOutOfRangeException(nameof(components), components, $"{n} volumes have at most {n - 1} principal components.");
        var mean = volumes.mean([0]);
        var centred = (volumes - mean).to(ScalarType.Float64);
        var (values, vectors) = linalg.eigh(centred.mm(centred.t()));
        // eigh sorts ascending: the last columns are the largest components.
        var top = vectors.narrow(1, n - components, components).flip(1);
        using Scalar floor = 1e-12;
        var lambda = values.narrow(0, n - components, components).flip(0).clamp_min(floor);
        // v_i = Ycᵀ u_i / √λ_i is a unit direction; its coefficient's standard deviation is √(λ_i / N).
        using Scalar count = (double)n;
        var directions = top.t().mm(centred).div(lambda.sqrt().unsqueeze(1));
        var basis = directions.mul((lambda / count).sqrt().unsqueeze(1)).to(ScalarType.Float32);
        return (basis.MoveToOuterDisposeScope(), mean.MoveToOuterDisposeScope());
    }
}
