using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// FaceNet2 as V independent voxel networks (each <see cref="DenseArchitecture.FaceNet2Voxel"/>-shaped) evaluated at once.
/// The networks share their input, so layer 1 of all V is one [B, In] × [In, V·U] product; the other layers are batched
/// products [V, B, U] × [V, U, U] (torch.bmm then add_, because TorchSharp 0.107's baddbmm rejects valid shapes).
/// Each net is still exactly the function it would be alone; nothing mixes between voxels.
/// </summary>
/// <remarks>
/// Layouts: layer 0 weight [V, U, In] (each net's Linear weight, so [V·U, In] is one matrix), bias [V, U];
/// later layers keep bmm's [V, in, out] weight and a [V, 1, out] bias.
/// </remarks>
public sealed class VoxelEnsemble : nn.Module<Tensor, Tensor>
{
    private readonly Parameter firstWeight;
    private readonly Parameter firstBias;
    private readonly ParameterList laterWeights = new();
    private readonly ParameterList laterBiases = new();

    /// <summary>Creates <paramref name="voxels"/>.Count nets; net v starts from a generator seeded by (seed, voxels[v]),
    /// so a voxel's initial weights do not depend on which shard it is trained in.</summary>
    public VoxelEnsemble(DenseArchitecture architecture, IReadOnlyList<int> voxels, long seed) : base(nameof(VoxelEnsemble))
    {
        ArgumentNullException.ThrowIfNull(voxels);
        Architecture = CheckArchitecture(architecture);
        if (voxels.Count < 1) throw new ArgumentException("An ensemble needs at least one voxel network.", nameof(voxels));
        Count = voxels.Count;
        int u = architecture.Units;
        firstWeight = new Parameter(empty(Count, u, architecture.Inputs));
        firstBias = new Parameter(zeros(Count, u));
        for (int l = 1; l < architecture.LayerCount; l++)
        {
            laterWeights.Add(new Parameter(empty(Count, architecture.LayerInputs(l), architecture.LayerOutputs(l))));
            laterBiases.Add(new Parameter(zeros(Count, 1, architecture.LayerOutputs(l))));
        }
        RegisterComponents();

        using var generator = new Generator(0);
        using var noGrad = no_grad();
        for (int v = 0; v < Count; v++)
        {
            generator.manual_seed(NetworkSeed(seed, voxels[v]));
            using (var w = firstWeight[v]) architecture.InitializeWeight(w, architecture.Inputs, u, generator);
            for (int l = 1; l < architecture.LayerCount; l++)
            {
                // Initialise in Linear's [out, in] order so the random stream matches a DenseNetwork built the same way.
                using var w = laterWeights[l - 1][v];
                using var wt = w.t();
                architecture.InitializeWeight(wt, architecture.LayerInputs(l), architecture.LayerOutputs(l), generator);
            }
        }
    }

    /// <summary>Builds an ensemble around existing per-layer tensors in the saved (Linear) layout: weights [V, out, in], biases [V, out].</summary>
    internal VoxelEnsemble(DenseArchitecture architecture, IReadOnlyList<Tensor> linearWeights, IReadOnlyList<Tensor> linearBiases) : base(nameof(VoxelEnsemble))
    {
        Architecture = CheckArchitecture(architecture);
        Count = (int)linearWeights[0].shape[0];
        using var noGrad = no_grad();
        // New handles owned by this module (sharing storage where the layout already fits), kept out of any dispose scope the caller has open.
        firstWeight = new Parameter(linearWeights[0].detach().contiguous().DetachFromDisposeScope());
        firstBias = new Parameter(linearBiases[0].detach().contiguous().DetachFromDisposeScope());
        for (int l = 1; l < architecture.LayerCount; l++)
        {
            laterWeights.Add(new Parameter(linearWeights[l].detach().transpose(1, 2).contiguous().DetachFromDisposeScope()));
            laterBiases.Add(new Parameter(linearBiases[l].detach().unsqueeze(1).contiguous().DetachFromDisposeScope()));
        }
        RegisterComponents();
    }

    /// <summary>
    /// An ensemble from per-layer tensors in the saved (Linear) layout: weights [V, out, in], biases [V, out]. The first layer's
    /// contiguous tensors are used without a copy (the ensemble shares their storage), so assembling a 5 GB model does not need 10.
    /// </summary>
    public static VoxelEnsemble FromLinearLayers(DenseArchitecture architecture, IReadOnlyList<Tensor> linearWeights, IReadOnlyList<Tensor> linearBiases)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(linearWeights);
        ArgumentNullException.ThrowIfNull(linearBiases);
        if (linearWeights.Count != architecture.LayerCount || linearBiases.Count != architecture.LayerCount)
            throw new ArgumentException($"A {architecture} ensemble needs {architecture.LayerCount} weights and biases; got {linearWeights.Count} and {linearBiases.Count}.");
        long v = linearWeights[0].shape[0];
        for (int l = 0; l < architecture.LayerCount; l++)
        {
            long[] w = [v, architecture.LayerOutputs(l), architecture.LayerInputs(l)], b = [v, architecture.LayerOutputs(l)];
            if (!linearWeights[l].shape.SequenceEqual(w) || !linearBiases[l].shape.SequenceEqual(b))
                throw new ArgumentException($"Layer {l} needs weight [{string.Join(", ", w)}] and bias [{string.Join(", ", b)}]; got [{string.Join(", ", linearWeights[l].shape)}] and [{string.Join(", ", linearBiases[l].shape)}].");
        }
        return new VoxelEnsemble(architecture, linearWeights, linearBiases);
    }

    /// <summary>The per-voxel seed: a 64-bit mix of the training seed and the voxel index.</summary>
    public static long NetworkSeed(long seed, int voxel)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)voxel + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) & long.MaxValue);
    }

    public DenseArchitecture Architecture { get; }

    /// <summary>Number of voxel networks (V).</summary>
    public int Count { get; }

    /// <summary>Layer 0 weight, [V, U, In].</summary>
    public Tensor FirstWeight => firstWeight;

    /// <summary>Layer 0 bias, [V, U].</summary>
    public Tensor FirstBias => firstBias;

    /// <summary>Weights and biases of layers 1..L (bmm layout); the part autograd trains.</summary>
    public IEnumerable<Parameter> LaterParameters => laterWeights.Concat(laterBiases);

    public override Tensor forward(Tensor input)
    {
        // input [B, In] → [B, V]. Layer 1 as W·xᵀ keeps the big [V·U, In] weight in its stored row-major layout, so the
        // product streams it once and never needs a transposed copy; only the small [V·U, B] result is rearranged.
        using var scope = NewDisposeScope();
        long b = input.shape[0];
        var h = firstWeight.view(Count * Architecture.Units, Architecture.Inputs).mm(input.t());
        var first = h.view(Count, Architecture.Units, b).transpose(1, 2).contiguous().add_(firstBias.unsqueeze(1));
        var output = ForwardFromFirstLayer(first);
        return output.squeeze(2).t().MoveToOuterDisposeScope();
    }

    /// <summary>Layers after the first: takes layer 0's pre-activation [V, B, U] and returns [V, B, 1].</summary>
    public Tensor ForwardFromFirstLayer(Tensor firstPreActivation)
    {
        var x = Architecture.Activation.Apply(firstPreActivation);
        for (int l = 0; l < laterWeights.Count; l++)
        {
            var z = bmm(x, laterWeights[l]).add_(laterBiases[l]);
            x = l < laterWeights.Count - 1 ? Architecture.Activation.Apply(z) : z;
        }
        return x;
    }

    /// <summary>Layer <paramref name="layer"/>'s weights in the saved Linear layout [V, out, in] (a copy for layers after the first).</summary>
    public Tensor LinearWeight(int layer) => layer == 0 ? firstWeight.detach() : laterWeights[layer - 1].detach().transpose(1, 2).contiguous();

    /// <summary>Layer <paramref name="layer"/>'s biases as [V, out].</summary>
    public Tensor LinearBias(int layer) => layer == 0 ? firstBias.detach() : laterBiases[layer - 1].detach().squeeze(1);

    /// <summary>Copies net <paramref name="index"/> out as a standalone <see cref="DenseNetwork"/>.</summary>
    public DenseNetwork ExtractNetwork(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"The ensemble holds {Count} networks.");
        var net = new DenseNetwork(Architecture, 0);
        using var noGrad = no_grad();
        for (int l = 0; l < Architecture.LayerCount; l++)
        {
            using var scope = NewDisposeScope();
            net.Weight(l).copy_(LinearWeight(l)[index]);
            net.Bias(l).copy_(LinearBias(l)[index]);
        }
        return net;
    }

    private static DenseArchitecture CheckArchitecture(DenseArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        if (architecture.Outputs != 1)
            throw new ArgumentException($"A voxel ensemble's networks have one output each, not {architecture.Outputs}.", nameof(architecture));
        return architecture;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            firstWeight.Dispose();
            firstBias.Dispose();
            laterWeights.Dispose();
            laterBiases.Dispose();
        }
        base.Dispose(disposing);
    }
}
