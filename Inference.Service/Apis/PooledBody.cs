using System.Buffers;

namespace Inference.Service.Apis;

/// <summary>
/// A response body built in an array rented from the shared pool. A volume as JSON or CSV is 70–130 KB: as a fresh array
/// per request it lands on the large-object heap, which only full collections reclaim, so hundreds of requests a second
/// grew the service's resident memory in a sawtooth of a gigabyte; rented, the same few arrays serve every request.
/// </summary>
public sealed class PooledBody : IBufferWriter<byte>, IDisposable
{
    private byte[]? _buffer;
    private int _written;

    public PooledBody(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    public ReadOnlyMemory<byte> Written => Buffer.AsMemory(0, _written);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(PooledBody));

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > Buffer.Length) throw new InvalidOperationException("Advanced past the end of the buffer.");
        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Grow(sizeHint).AsMemory(_written);

    public Span<byte> GetSpan(int sizeHint = 0) => Grow(sizeHint).AsSpan(_written);

    private byte[] Grow(int sizeHint)
    {
        var buffer = Buffer;
        int needed = Math.Max(sizeHint, 1);
        if (buffer.Length - _written >= needed) return buffer;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, _written + needed));
        buffer.AsSpan(0, _written).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return _buffer = bigger;
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
