using System.Net;

namespace Heads.Testing;

/// <summary>An image upload that sends its first 1,000 bytes, then stalls (a slow or stuck client) before the rest.</summary>
public sealed class StalledUpload : HttpContent
{
    private readonly byte[] _bytes;
    private readonly TimeSpan _stall;

    public StalledUpload(byte[] bytes, TimeSpan stall)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes.Length, 1001);
        _bytes = bytes;
        _stall = stall;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(_bytes.AsMemory(0, 1000));
        await stream.FlushAsync();
        await Task.Delay(_stall);
        await stream.WriteAsync(_bytes.AsMemory(1000));
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _bytes.Length;
        return true;
    }
}
