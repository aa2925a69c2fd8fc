using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Heads.Core.Imaging;

/// <summary>Why an image could not become a face input.</summary>
public enum FaceImageFailure
{
    Empty,
    Undecodable,
    TooLarge,
}

/// <summary>An image that cannot be turned into a face input; <see cref="Reason"/> says why.</summary>
public sealed class FaceImageException(FaceImageFailure reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public FaceImageFailure Reason { get; } = reason;
}

public sealed record FaceImageOptions
{
    public static FaceImageOptions Default { get; } = new();

    /// <summary>Output width and height (32 in FaceTo3D).</summary>
    public int Size { get; init; } = FaceImage.DefaultSize;

    /// <summary>Largest accepted width × height, checked from the header before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Largest accepted encoded size, for streams that must be buffered.</summary>
    public long MaxEncodedBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Centre-crop to a square before resizing. The original squashed the whole frame to 32×32; its sources
    /// (ThisPersonDoesNotExist) were square, where both agree, and for other photos a crop keeps the face's proportions.
    /// </summary>
    public bool CropToSquare { get; init; } = true;
}

/// <summary>
/// Turns a photo (JPEG, PNG, BMP, GIF, WebP) into the FaceTo3D face input: Lanczos-3 resize to 32×32 in RGB, then
/// ITU-R 601 luma (what PIL's convert('L') does, as the original's jpg_to_pgm did), one byte per pixel, row-major
/// from the top-left: 1024 bytes.
/// </summary>
public static class FaceImage
{
    public const int DefaultSize = 32;

    private static readonly Configuration DecodeConfiguration = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        // An animated GIF is a face only in its first frame; decoding the rest is wasted work.
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        // PNG text and ICC chunks are zlib streams: a 64 KiB zTXt inflates to 64 MiB (an 8 MiB upload to gigabytes) before
        // a single pixel is read. A face needs none of that metadata.
        configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
        return configuration;
    }

    public static byte[] Load(string path, FaceImageOptions? options = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Load(stream, options);
    }

    public static byte[] Load(Stream stream, FaceImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= FaceImageOptions.Default;
        if (stream.CanSeek)
        {
            if (stream.Length - stream.Position > options.MaxEncodedBytes)
                throw new FaceImageException(FaceImageFailure.TooLarge, $"Image has {stream.Length - stream.Position} bytes, more than the limit of {options.MaxEncodedBytes}.");
            return Decode(stream, options);
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > options.MaxEncodedBytes)
                throw new FaceImageException(FaceImageFailure.TooLarge, $"Image is longer than the limit of {options.MaxEncodedBytes} bytes.");
            buffer.Write(chunk, 0, read);
        }
        buffer.Position = 0;
        return Decode(buffer, options);
    }

    public static byte[] Load(byte[] encoded, FaceImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        // publiclyVisible: the completeness check reads the bytes in place instead of copying them.
        using var stream = new MemoryStream(encoded, 0, encoded.Length, writable: false, publiclyVisible: true);
        return Load(stream, options);
    }

    private static byte[] Decode(Stream stream, FaceImageOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Size, 1);
        if (stream is not MemoryStream memory || !memory.TryGetBuffer(out _))
        {
            // The completeness check reads the encoded bytes; the caller has bounded their length already.
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            using (copy) return Decode(copy, options);
        }
        long start = stream.Position;
        if (stream.Length - start == 0) throw new FaceImageException(FaceImageFailure.Empty, "Image is empty (0 bytes).");
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(DecodeConfiguration, stream, out format);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new FaceImageException(FaceImageFailure.Undecodable, $"Image header cannot be read: {Describe(e)}", e);
        }
        if (info is null || format is null) throw new FaceImageException(FaceImageFailure.Undecodable, "Not an image in a known format (JPEG, PNG, BMP, GIF, WebP, TGA, TIFF, PBM).");
        if (info.Width <= 0 || info.Height <= 0) throw new FaceImageException(FaceImageFailure.Empty, $"{format.Name} image has no pixels ({info.Width}×{info.Height}).");
        if ((long)info.Width * info.Height > options.MaxPixels)
            throw new FaceImageException(FaceImageFailure.TooLarge, $"{format.Name} image is {info.Width}×{info.Height}, more than the limit of {options.MaxPixels} pixels.");

        if (Truncation(stream, start, format.Name) is { } truncated)
            throw new FaceImageException(FaceImageFailure.Undecodable, truncated);

        stream.Position = start;
        Image<Rgb24> image;
        try
        {
            image = Image.Load<Rgb24>(DecodeConfiguration, stream);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new FaceImageException(FaceImageFailure.Undecodable, $"{format.Name} image cannot be decoded: {Describe(e)}", e);
        }
        using (image)
        {
            return ToFaceInput(image, options);
        }
    }

    /// <summary>
    /// Why the encoded image is cut short, or null. Decoders fill in the pixels a truncated file lacks (a PNG cut inside
    /// its pixel data decodes with the rest grey); a face from such a file is not the face that was sent, so PNG must
    /// reach its IEND chunk, JPEG its end-of-image marker after the last scan, GIF its trailer.
    /// </summary>
    private static string? Truncation(Stream stream, long start, string formatName)
    {
        if (stream is not MemoryStream memory || !memory.TryGetBuffer(out var buffer)) return null;
        var data = buffer.AsSpan((int)start, (int)(memory.Length - start));
        switch (formatName.ToUpperInvariant())
        {
            case "PNG":
                for (long at = 8; ;)
                {
                    if (at + 8 > data.Length) return "PNG image is truncated: it ends before its IEND chunk.";
                    long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(data[(int)at..]);
                    if (data.Slice((int)at + 4, 4).SequenceEqual("IEND"u8)) return null;
                    at += 12 + length;
                }
            case "JPEG":
                int scan = data.LastIndexOf([(byte)0xFF, (byte)0xDA]);
                return scan >= 0 && data[scan..].IndexOf([(byte)0xFF, (byte)0xD9]) >= 0 ? null : "JPEG image is truncated: it has no end-of-image marker after its last scan.";
            case "GIF":
                return data.TrimEnd((byte)0).EndsWith([(byte)0x3B]) ? null : "GIF image is truncated: it has no trailer.";
            default:
                return null;
        }
    }

    /// <summary>Decoders can fail on hostile bytes with exceptions of many types; all but resource exhaustion mean "cannot decode".</summary>
    private static bool IsDecodeFailure(Exception e) => e is not (OutOfMemoryException or OperationCanceledException or FaceImageException);

    /// <summary>
    /// The decoder's own reason when it gives one; its internal errors on corrupt data ("Object reference not set…",
    /// "Sequence contains no elements") tell a client little, so they are prefixed with what they mean.
    /// </summary>
    private static string Describe(Exception e) => e is ImageFormatException or InvalidDataException or NotSupportedException or EndOfStreamException
        ? e.Message
        : $"the data is corrupt or truncated ({e.GetType().Name}: {e.Message})";

    /// <summary>Crops (optionally), resizes with Lanczos-3 and converts to 601 luma; the image is modified in place.</summary>
    public static byte[] ToFaceInput(Image<Rgb24> image, FaceImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= FaceImageOptions.Default;
        int size = options.Size;
        image.Mutate(ctx =>
        {
            // Photos may be stored rotated with an EXIF orientation tag; faces must be upright.
            ctx.AutoOrient();
            if (options.CropToSquare)
            {
                var current = ctx.GetCurrentSize();
                int side = Math.Min(current.Width, current.Height);
                if (current.Width != current.Height)
                    ctx.Crop(new Rectangle((current.Width - side) / 2, (current.Height - side) / 2, side, side));
            }
            ctx.Resize(new ResizeOptions { Size = new Size(size, size), Sampler = KnownResamplers.Lanczos3, Mode = ResizeMode.Stretch });
        });
        var gray = new byte[size * size];
        image.ProcessPixelRows(accessor =>
        {
            for (int y = 0; y < accessor.Height; y++)
            {
                var row = accessor.GetRowSpan(y);
                var o = gray.AsSpan(y * size, size);
                for (int x = 0; x < row.Length; x++)
                {
                    var p = row[x];
                    // PIL's integer 601 luma: (R·299 + G·587 + B·114) / 1000, rounded.
                    o[x] = (byte)((p.R * 299 + p.G * 587 + p.B * 114 + 500) / 1000);
                }
            }
        });
        return gray;
    }
}
