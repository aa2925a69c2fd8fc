using Heads.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Inference;

/// <summary>The arithmetic a HeadsNet head is sampled in.</summary>
public enum HeadsNetPrecision
{
    /// <summary>Exactly the trained network (the default): the three 384×384 layers make it matrix-product bound.</summary>
    Float32,

    /// <summary>
    /// The hidden 384×384 layers in bfloat16 (float32 accumulation; first and last layer in float32): about 4× faster
    /// products on CPUs with AVX-512 BF16 or AMX, points on average 0.3 % of the head's size from the float32 ones.
    /// On CPUs without bfloat16 instructions it is emulated and may be no faster than float32.
    /// </summary>
    BFloat16,
}

/// <summary>
/// Samples a HeadsNet head in blocks of rows. The inputs are exactly <see cref="HeadsNetModel.Sample"/>'s (the model's
/// <see cref="HeadsNetEncoding.SamplingFeatures"/>: Original (seed, i / count), SphereFourier Fibonacci-sphere directions),
/// but a block's activations are freed before the next one starts, so a million-point head needs tens of megabytes
/// instead of the gigabytes one [count, 384] pass keeps alive, and a cancelled request stops between blocks.
/// </summary>
public static class HeadsNetSampler
{
    /// <summary>
    /// 2,048 rows keep a block's [rows, 384] activations at 3 MiB, inside the caches, and small enough for the
    /// allocator to reuse between blocks; one 200,000-row pass page-faults through 300 MiB per layer instead and takes
    /// 1.7× as long (the inference benchmark measures both).
    /// </summary>
    public const int DefaultBlockRows = 2_048;

    public static HeadPointCloud Sample(HeadsNetModel model, float seed, int count, int blockRows = DefaultBlockRows, CancellationToken cancellationToken = default,
        HeadsNetPrecision precision = HeadsNetPrecision.Float32)
    {
        CheckCount(count);
        var positions = new float[count * 3];
        var colors = new byte[count * 3];
        Sample(model, seed, count, positions, colors, blockRows, cancellationToken, precision);
        return new HeadPointCloud(positions, colors);
    }

    /// <summary>
    /// The same head into the caller's buffers (the first <c>3 × count</c> values of each): a server answering 200,000-point
    /// heads passes pooled arrays instead of 3 MB of fresh large-object-heap arrays a head.
    /// </summary>
    /// <param name="blockTurn">Called before each block of <paramref name="blockRows"/> points; the block runs while the
    /// returned turn is held (a server shares its cores between requests this way).</param>
    public static void Sample(HeadsNetModel model, float seed, int count, Span<float> positions, Span<byte> colors, int blockRows = DefaultBlockRows,
        CancellationToken cancellationToken = default, HeadsNetPrecision precision = HeadsNetPrecision.Float32,
        Func<CancellationToken, IDisposable>? blockTurn = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckCount(count);
        if (positions.Length < count * 3 || colors.Length < count * 3)
            throw new ArgumentException($"{count} points need {count * 3} positions and colours; the buffers hold {positions.Length} and {colors.Length}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(blockRows, 1);
        if (!float.IsFinite(seed)) throw new ArgumentOutOfRangeException(nameof(seed), seed, "A head seed must be a finite number.");

        // Inference mode: no autograd bookkeeping; the block's tensors never leave this method.
        using var inference = inference_mode();
        // Scalars held for the whole call: an implicit temporary Scalar can be finalised by the GC while native code
        // still reads it (the inference service saw HTTP 500s under load from exactly that).
        using Scalar scale = 255f, zero = 0f;
        var encoding = model.Encoding;
        using var hidden = precision == HeadsNetPrecision.BFloat16 ? new HalfWidthLayers(model.Network) : null;
        for (int start = 0; start < count; start += blockRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int rows = Math.Min(blockRows, count - start);
            using var turn = blockTurn?.Invoke(cancellationToken);
            using var scope = NewDisposeScope();
            var inputs = encoding.SamplingFeatures(seed, start, rows, count);
            var output = hidden is null ? model.Network.forward(inputs) : hidden.Forward(inputs);
            output.narrow(1, 0, 3).contiguous().data<float>().CopyTo(positions.Slice(start * 3, rows * 3));
            output.narrow(1, 3, 3).mul(scale).round_().clamp_(zero, scale).to(ScalarType.Byte).contiguous().data<byte>().CopyTo(colors.Slice(start * 3, rows * 3));
        }
    }

    private static void CheckCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        // i / count is exact in float32 only while i fits its 24-bit mantissa.
        if (count > 1 << 24) throw new ArgumentOutOfRangeException(nameof(count), count, $"A head has at most {1 << 24} points.");
    }

    /// <summary>
    /// The network with its hidden layers' weights and biases copied to bfloat16 for one call (0.6 MiB, well under a
    /// millisecond to convert), so a model being trained or reloaded is never read through a stale copy.
    /// </summary>
    private sealed class HalfWidthLayers : IDisposable
    {
        private readonly DenseNetwork _network;
        private readonly Tensor[] _weights;
        private readonly Tensor[] _biases;

        public HalfWidthLayers(DenseNetwork network)
        {
            _network = network;
            int hidden = network.LayerCount - 2;
            _weights = new Tensor[Math.Max(0, hidden)];
            _biases = new Tensor[_weights.Length];
            for (int i = 0; i < _weights.Length; i++)
            {
                // Made under the caller's inference mode, so the copies carry no autograd history.
                _weights[i] = network.Weight(i + 1).to(ScalarType.BFloat16).DetachFromDisposeScope();
                _biases[i] = network.Bias(i + 1).to(ScalarType.BFloat16).DetachFromDisposeScope();
            }
        }

        public Tensor Forward(Tensor input)
        {
            int last = _network.LayerCount - 1;
            if (last == 0) return _network.forward(input);
            var activation = _network.Architecture.Activation;
            // The narrow first layer (2 or a few dozen inputs) and the 6-output last one cost little: they stay float32.
            var x = activation.Apply(nn.functional.linear(input, _network.Weight(0), _network.Bias(0))).to(ScalarType.BFloat16);
            for (int i = 0; i < _weights.Length; i++) x = activation.Apply(nn.functional.linear(x, _weights[i], _biases[i]));
            return nn.functional.linear(x.to(ScalarType.Float32), _network.Weight(last), _network.Bias(last));
        }

        public void Dispose()
        {
            foreach (var t in _weights) t.Dispose();
            foreach (var t in _biases) t.Dispose();
        }
    }
}
