using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// One MLP with a <see cref="DenseArchitecture"/>: HeadsNet, FaceNet1, FaceNet3, or a single FaceNet2 voxel network.
/// Parameters are named <c>layers.{i}.weight</c> [out, in] and <c>layers.{i}.bias</c> [out], as a PyTorch Sequential of Linear layers.
/// </summary>
public sealed class DenseNetwork : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<Linear> layers = new();

    public DenseNetwork(DenseArchitecture architecture, long seed) : base(nameof(DenseNetwork))
    {
        ArgumentNullException.ThrowIfNull(architecture);
        architecture.Validate();
        Architecture = architecture;
        for (int l = 0; l < architecture.LayerCount; l++)
            layers.Add(nn.Linear(architecture.LayerInputs(l), architecture.LayerOutputs(l)));
        RegisterComponents();

        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        for (int l = 0; l < architecture.LayerCount; l++)
        {
            architecture.InitializeWeight(layers[l].weight!, architecture.LayerInputs(l), architecture.LayerOutputs(l), generator);
            layers[l].bias!.zero_();
        }
        // Evaluation mode until a training loop says otherwise: a loaded network must predict deterministically (no dropout).
        eval();
    }

    public DenseArchitecture Architecture { get; }

    public int LayerCount => layers.Count;

    /// <summary>The [out, in] weight of layer <paramref name="layer"/> (the live parameter).</summary>
    public Tensor Weight(int layer) => layers[layer].weight!;

    /// <summary>The [out] bias of layer <paramref name="layer"/> (the live parameter).</summary>
    public Tensor Bias(int layer) => layers[layer].bias!;

    public override Tensor forward(Tensor input)
    {
        var x = input;
        for (int l = 0; l < layers.Count; l++)
        {
            var z = layers[l].forward(x);
            if (l == layers.Count - 1) return z;
            x = Architecture.Activation.Apply(z);
            // Only while training (train() / eval()): inference is deterministic.
            if (Architecture.Dropout > 0 && training) x = nn.functional.dropout(x, Architecture.Dropout, training: true);
        }
        return x;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) layers.Dispose();
        base.Dispose(disposing);
    }
}
