using System.Security.Cryptography;

namespace Heads.Core.Models;

/// <summary>A forward-only pass-through that SHA-256-hashes every byte read or written, so a model is checksummed in the same single pass that stores or loads it.</summary>
internal sealed class HashingStream(Stream inner, bool writing) : Stream
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesHashed { get; private set; }

    public string HashHex() => Convert.ToHexStringLower(hash.GetCurrentHash());

    public override bool CanRead => !writing;
    public override bool CanSeek => false;
    public override bool CanWrite => writing;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesHashed; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (writing) throw new NotSupportedException();
        int n = inner.Read(buffer);
        hash.AppendData(buffer[..n]);
        BytesHashed += n;
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (!writing) throw new NotSupportedException();
        inner.Write(buffer);
        hash.AppendData(buffer);
        BytesHashed += buffer.Length;
    }

    /// <summary>Reads and hashes whatever is left, so the hash covers the whole file.</summary>
    public void Drain()
    {
        var buffer = new byte[81920];
        while (Read(buffer) > 0) { }
    }

    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) hash.Dispose();
        base.Dispose(disposing);
    }
}
