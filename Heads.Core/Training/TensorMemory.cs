using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Raw access to the float storage of CPU tensors, for the hand-written update loops.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>The address of a contiguous float32 CPU tensor's first element. libtorch's storage never moves, so no pinning is needed.</summary>
    public static float* Floats(Tensor tensor, string what)
    {
        if (tensor.dtype != ScalarType.Float32) throw new ArgumentException($"{what} must be float32, not {tensor.dtype}.");
        if (tensor.device_type != DeviceType.CPU) throw new ArgumentException($"{what} must live on the CPU, not {tensor.device}.");
        if (!tensor.is_contiguous()) throw new ArgumentException($"{what} must be contiguous.");
        if (tensor.numel() == 0) return null;
        return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
    }

    /// <summary>Splits [0, count) into <paramref name="parts"/> ranges whose starts are multiples of <paramref name="align"/>.</summary>
    public static (long Start, long End) Range(long count, int part, int parts, int align)
    {
        long per = (count + parts - 1) / parts;
        per = (per + align - 1) / align * align;
        long start = Math.Min(count, per * part);
        return (start, Math.Min(count, start + per));
    }
}
