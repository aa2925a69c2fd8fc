using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>FaceNet input scaling and the original prediction post-processing.</summary>
public static class VolumePostProcessing
{
    public const int FacePixels = 1024;
    public const int VolumeVoxels = 32768;

    /// <summary>The original zeroed predictions below this before scaling.</summary>
    public const float ZeroBelow = 0.003f;

    /// <summary>uint8 rows → float32 tensor [rows, width] scaled to [0, 1].</summary>
    public static Tensor Scale(ReadOnlySpan<byte> values, int width)
    {
        if (width < 1 || values.Length % width != 0)
            throw new ArgumentException($"Expected rows of {width} values; got {values.Length} values.", nameof(values));
        var data = new float[values.Length];
        for (int i = 0; i < data.Length; i++) data[i] = values[i] / 255f;
        return tensor(data, [values.Length / width, width]);
    }

    /// <summary>Values &lt; 0.003 → 0, then ×255, rounded (half to even, as numpy), clamped to 0..255, as uint8.</summary>
    public static Tensor ToBytes(Tensor predictions)
    {
        using var scope = NewDisposeScope();
        // Scalars held in locals until the end: an implicit temporary Scalar is unreachable once its handle is passed to
        // native code, and under load a GC finalised one mid-call (HTTP 500s: "toFloat ... Expected false to be true").
        using Scalar threshold = ZeroBelow, zero = 0f, scale = 255f, max = 255f;
        var zeroed = predictions.masked_fill(predictions.lt(threshold), zero);
        return zeroed.mul_(scale).round_().clamp_(zero, max).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    public static byte[] ToByteArray(Tensor predictions)
    {
        using var bytes = ToBytes(predictions);
        return bytes.data<byte>().ToArray();
    }

    /// <summary><see cref="ToBytes"/> into <paramref name="destination"/>, which must hold exactly the predictions' values.</summary>
    public static void CopyBytes(Tensor predictions, Span<byte> destination)
    {
        using var bytes = ToBytes(predictions);
        if (bytes.numel() != destination.Length)
            throw new ArgumentException($"The predictions hold {bytes.numel()} values; the destination {destination.Length}.", nameof(destination));
        bytes.data<byte>().CopyTo(destination);
    }
}

/// <summary>Anything that maps 32×32 faces to 32³ volumes (models and baselines alike), for evaluation and inference.</summary>
public interface IVolumePredictor
{
    /// <summary>Faces N × 1024 uint8 → volumes N × 32768 uint8, post-processed as the original.</summary>
    byte[] PredictVolumes(ReadOnlySpan<byte> faces);

    /// <summary>
    /// The same into <paramref name="volumes"/> (N × 32768). A batch's volumes are 32 KiB a face: a fresh array for
    /// them lands on the large-object heap, so a server that predicts hundreds of batches a second writes into a pooled one.
    /// </summary>
    void PredictVolumes(ReadOnlySpan<byte> faces, Span<byte> volumes) => PredictVolumes(faces).CopyTo(volumes);
}
