using System.Numerics;
using System.Runtime.InteropServices;

namespace Heads.Core.Geometry;

/// <summary>
/// A cubic grayscale volume, one byte per voxel, index z·size² + y·size + x (the FaceTo3D layout: z·1024 + y·32 + x at 32³).
/// 0 means empty; an occupied voxel is at least 1.
/// </summary>
public sealed class VoxelVolume
{
    public const int DefaultSize = 32;

    public VoxelVolume(int size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, 1024);
        Size = size;
        Data = new byte[size * size * size];
    }

    /// <summary>Wraps existing voxel bytes (no copy); the length must be a cube of <paramref name="size"/>.</summary>
    public VoxelVolume(byte[] data, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (data.Length != (long)size * size * size)
            throw new ArgumentException($"A {size}³ volume needs {size * size * size} bytes, got {data.Length}.", nameof(data));
        Size = size;
        Data = data;
    }

    public int Size { get; }
    public byte[] Data { get; }

    public int Index(int x, int y, int z) => (z * Size + y) * Size + x;

    public byte this[int x, int y, int z]
    {
        get => Data[CheckedIndex(x, y, z)];
        set => Data[CheckedIndex(x, y, z)] = value;
    }

    private int CheckedIndex(int x, int y, int z)
    {
        if ((uint)x >= (uint)Size || (uint)y >= (uint)Size || (uint)z >= (uint)Size)
            throw new ArgumentOutOfRangeException(nameof(x), $"Voxel ({x}, {y}, {z}) is outside a {Size}³ volume.");
        return Index(x, y, z);
    }

    /// <summary>Voxels with a value of at least <paramref name="threshold"/> (default: any non-zero).</summary>
    public int OccupiedCount(byte threshold = 1) => CountOccupied(Data, threshold);

    public double IoU(VoxelVolume other, byte threshold = 1)
    {
        ArgumentNullException.ThrowIfNull(other);
        return OccupancyIoU(Data, other.Data, threshold);
    }

    public double MeanAbsoluteError(VoxelVolume other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return MeanAbsoluteError(Data, other.Data);
    }

    /// <summary>Number of bytes ≥ <paramref name="threshold"/>.</summary>
    public static int CountOccupied(ReadOnlySpan<byte> volume, byte threshold = 1)
    {
        if (threshold == 0) return volume.Length;
        int count = 0, i = 0;
        if (Vector.IsHardwareAccelerated && volume.Length >= Vector<byte>.Count)
        {
            var t = new Vector<byte>((byte)(threshold - 1));
            var one = Vector<byte>.One;
            var bytes = MemoryMarshal.Cast<byte, Vector<byte>>(volume);
            // Count in byte lanes, draining before they can overflow (255 blocks at most).
            for (int block = 0; block < bytes.Length; block += 255)
            {
                var acc = Vector<byte>.Zero;
                int end = Math.Min(bytes.Length, block + 255);
                for (int v = block; v < end; v++)
                    acc += Vector.GreaterThan(bytes[v], t) & one;
                count += SumBytes(acc);
            }
            i = bytes.Length * Vector<byte>.Count;
        }
        for (; i < volume.Length; i++)
            if (volume[i] >= threshold) count++;
        return count;
    }

    /// <summary>
    /// Intersection over union of the occupied sets (value ≥ <paramref name="threshold"/>).
    /// Two empty volumes agree completely: 1.
    /// </summary>
    public static double OccupancyIoU(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, byte threshold = 1)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Volumes differ in length: {a.Length} and {b.Length}.", nameof(b));
        if (threshold == 0) return 1.0;
        long inter = 0, union = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<byte>.Count)
        {
            var t = new Vector<byte>((byte)(threshold - 1));
            var one = Vector<byte>.One;
            var va = MemoryMarshal.Cast<byte, Vector<byte>>(a);
            var vb = MemoryMarshal.Cast<byte, Vector<byte>>(b);
            for (int block = 0; block < va.Length; block += 255)
            {
                var accI = Vector<byte>.Zero;
                var accU = Vector<byte>.Zero;
                int end = Math.Min(va.Length, block + 255);
                for (int v = block; v < end; v++)
                {
                    var oa = Vector.GreaterThan(va[v], t);
                    var ob = Vector.GreaterThan(vb[v], t);
                    accI += (oa & ob) & one;
                    accU += (oa | ob) & one;
                }
                inter += SumBytes(accI);
                union += SumBytes(accU);
            }
            i = va.Length * Vector<byte>.Count;
        }
        for (; i < a.Length; i++)
        {
            bool oa = a[i] >= threshold, ob = b[i] >= threshold;
            if (oa && ob) inter++;
            if (oa || ob) union++;
        }
        return union == 0 ? 1.0 : (double)inter / union;
    }

    /// <summary>Mean absolute difference over all voxels, in byte units (0–255).</summary>
    public static double MeanAbsoluteError(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Volumes differ in length: {a.Length} and {b.Length}.", nameof(b));
        if (a.Length == 0) return 0;
        long sum = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<byte>.Count)
        {
            var va = MemoryMarshal.Cast<byte, Vector<byte>>(a);
            var vb = MemoryMarshal.Cast<byte, Vector<byte>>(b);
            var acc = Vector<ulong>.Zero;
            for (int v = 0; v < va.Length; v++)
            {
                var diff = Vector.Max(va[v], vb[v]) - Vector.Min(va[v], vb[v]);
                Vector.Widen(diff, out Vector<ushort> lo, out Vector<ushort> hi);
                Vector.Widen(lo + hi, out Vector<uint> l2, out Vector<uint> h2);
                Vector.Widen(l2 + h2, out Vector<ulong> l3, out Vector<ulong> h3);
                acc += l3 + h3;
            }
            sum = (long)Vector.Sum(acc);
            i = va.Length * Vector<byte>.Count;
        }
        for (; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return (double)sum / a.Length;
    }

    /// <summary>Mean absolute difference over voxels occupied in either volume; 0 when neither has any.</summary>
    public static double OccupiedMeanAbsoluteError(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, byte threshold = 1)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Volumes differ in length: {a.Length} and {b.Length}.", nameof(b));
        long sum = 0, count = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] < threshold && b[i] < threshold) continue;
            sum += Math.Abs(a[i] - b[i]);
            count++;
        }
        return count == 0 ? 0 : (double)sum / count;
    }

    private static int SumBytes(Vector<byte> v)
    {
        Vector.Widen(v, out Vector<ushort> lo, out Vector<ushort> hi);
        Vector.Widen(lo + hi, out Vector<uint> l2, out Vector<uint> h2);
        return (int)Vector.Sum(l2 + h2);
    }
}
