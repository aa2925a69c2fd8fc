using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Heads.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.Metadata.Profiles.Exif;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Testing.Malformed;

/// <summary>
/// One upload of the image corpus: its bytes, the content type it is sent with, and what must happen to it. A null
/// <see cref="Failure"/> is a valid but odd image the decoder accepts (HTTP 200); otherwise the decoder refuses it with
/// that failure and a message containing <see cref="Reason"/>. <see cref="HttpStatus"/> is what the prediction endpoint
/// answers (415 when the declared type alone is refused, before any decoding).
/// </summary>
public sealed record ImageCase(string Name, byte[] Bytes, string ContentType, int HttpStatus, FaceImageFailure? Failure, string Reason)
{
    public bool Decodable => Failure is null;

    public override string ToString() => Name;
}

/// <summary>
/// Malformed and odd face photos, built by code from valid images: truncations at several points, lying and huge
/// dimensions (decompression bombs), bad checksums, wrong magic, formats that are not images, and legal oddities.
/// </summary>
public static class MalformedImages
{
    private static readonly Lazy<IReadOnlyList<ImageCase>> Cases = new(Build);

    public static IReadOnlyList<ImageCase> All => Cases.Value;

    public static ImageCase Get(string name) => All.Single(c => c.Name == name);

    /// <summary>A valid 64×64 photo-like picture (a bright oval on a gradient) in the given format.</summary>
    public static byte[] Valid(string format, int width = 64, int height = 64, Action<Image<Rgb24>>? edit = null, IImageEncoder? encoder = null)
    {
        using var image = new Image<Rgb24>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++)
                {
                    double dx = (x - width / 2.0) / (width / 3.0), dy = (y - height / 2.0) / (height / 2.4);
                    byte v = dx * dx + dy * dy < 1 ? (byte)(190 - 40 * dy) : (byte)(30 + 100 * y / height);
                    row[x] = new Rgb24(v, (byte)(v * 0.8), (byte)(v * 0.7));
                }
            }
        });
        edit?.Invoke(image);
        using var output = new MemoryStream();
        image.Save(output, encoder ?? format switch
        {
            "jpeg" => new JpegEncoder { Quality = 90 },
            "png" => new PngEncoder(),
            "gif" => new GifEncoder(),
            "bmp" => new BmpEncoder(),
            "webp" => new WebpEncoder(),
            "tiff" => new TiffEncoder(),
            _ => throw new ArgumentException($"No encoder for '{format}'.", nameof(format)),
        });
        return output.ToArray();
    }

    private static IReadOnlyList<ImageCase> Build()
    {
        var jpeg = Valid("jpeg");
        var png = Valid("png");
        var gif = Valid("gif");
        var bmp = Valid("bmp");
        var webp = Valid("webp");
        var tiff = Valid("tiff");
        const string Jpeg = "image/jpeg", Png = "image/png", Octets = "application/octet-stream";
        const FaceImageFailure Undecodable = FaceImageFailure.Undecodable, TooLarge = FaceImageFailure.TooLarge, Empty = FaceImageFailure.Empty;

        var cases = new List<ImageCase>
        {
            // Nothing, or not an image at all.
            new("zero-bytes", [], Jpeg, 400, Empty, "empty"),
            new("one-byte", [0xFF], Jpeg, 400, Undecodable, "known format"),
            new("text-named-jpg", Encoding.UTF8.GetBytes("This is a holiday note saved as face.jpg, not a photo.\n"), Jpeg, 400, Undecodable, "known format"),
            new("ply-as-image", Encoding.ASCII.GetBytes(MalformedPlys.AsciiCube), Octets, 400, Undecodable, "known format"),
            new("svg-typed", Svg, "image/svg+xml", 415, Undecodable, "known format"),
            new("svg-untyped", Svg, Octets, 400, Undecodable, "known format"),
            new("heic-magic", Heic(), "image/heic", 415, Undecodable, "known format"),
            new("heic-magic-untyped", Heic(), Octets, 400, Undecodable, "known format"),
            new("pdf-typed", Encoding.ASCII.GetBytes("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"), "application/pdf", 415, Undecodable, "known format"),
            new("random-bytes", RandomBytes(4096, seed: 11), Octets, 400, Undecodable, "known format"),

            // JPEG: cut short at every stage, lying or huge dimensions, and legal oddities.
            new("jpeg-soi-only", jpeg[..2], Jpeg, 400, Undecodable, "known format"),
            new("jpeg-truncated-in-headers", jpeg[..(Marker(jpeg, 0xC0) + 4)], Jpeg, 400, Undecodable, "enough bytes"),
            new("jpeg-truncated-before-scan", jpeg[..Marker(jpeg, 0xDA)], Jpeg, 400, Undecodable, "truncated"),
            new("jpeg-truncated-in-scan", jpeg[..(jpeg.Length - 40)], Jpeg, 400, Undecodable, "truncated"),
            new("jpeg-zero-width", PatchJpegSize(jpeg, 0, 64), Jpeg, 400, Undecodable, "dimensions"),
            new("jpeg-65500x65500", PatchJpegSize(jpeg, 65500, 65500), Jpeg, 413, TooLarge, "more than the limit"),
            new("jpeg-grayscale", Valid("jpeg", encoder: new JpegEncoder { ColorType = JpegColorType.Luminance }), Jpeg, 200, null, ""),
            new("jpeg-exif-rotated", Valid("jpeg", edit: RotatedExif), Jpeg, 200, null, ""),
            new("jpeg-trailing-garbage", [.. jpeg, .. RandomBytes(2000, seed: 3)], Jpeg, 200, null, ""),
            new("jpeg-1x1", Valid("jpeg", 1, 1), Jpeg, 200, null, ""),

            // PNG: truncations, checksums, impossible headers, bombs, and legal oddities.
            new("png-signature-only", png[..8], Png, 400, Undecodable, "header chunk"),
            new("png-truncated-after-ihdr", png[..33], Png, 400, Undecodable, "truncated"),
            new("png-truncated-mid-idat", png[..(png.Length / 2)], Png, 400, Undecodable, "truncated"),
            new("png-bad-ihdr-crc", FlipByte(png, 29), Png, 400, Undecodable, "CRC Error"),
            new("png-60000x60000-bomb", PngWithHeader(60000, 60000, 8, 2), Png, 413, TooLarge, "more than the limit"),
            new("png-1x50000000-strip", PngWithHeader(1, 50_000_000, 8, 2), Png, 413, TooLarge, "more than the limit"),
            new("png-0x0", PngWithHeader(0, 0, 8, 2), Png, 400, Undecodable, "header"),
            new("png-bit-depth-3", PngWithHeader(8, 8, 3, 2), Png, 400, Undecodable, "bit depth"),
            new("png-colour-type-5", PngWithHeader(8, 8, 8, 5), Png, 400, Undecodable, "color type"),
            new("png-corrupt-zlib", PngWithCorruptIdat(), Png, 400, Undecodable, "ZLIB"),
            new("png-ztxt-bomb", PngWithZtxtBomb(), Png, 200, null, ""),
            new("png-1x1", Valid("png", 1, 1), Png, 200, null, ""),
            new("png-16-bit-grey-alpha", Valid("png", encoder: new PngEncoder { ColorType = PngColorType.GrayscaleWithAlpha, BitDepth = PngBitDepth.Bit16 }), Png, 200, null, ""),
            new("png-interlaced", Valid("png", encoder: new PngEncoder { InterlaceMethod = PngInterlaceMode.Adam7 }), Png, 200, null, ""),
            new("png-palette", Valid("png", encoder: new PngEncoder { ColorType = PngColorType.Palette }), Png, 200, null, ""),
            new("png-very-wide", Valid("png", 4000, 3), Png, 200, null, ""),

            // GIF, BMP, WebP, TIFF: truncated, empty of frames, lying sizes, and legal oddities.
            new("gif-header-only", gif[..13], "image/gif", 400, Undecodable, "truncated"),
            new("gif-zero-frames", [.. gif[..13], 0x3B], "image/gif", 400, Undecodable, "No data"),
            // Truncated pixel data in GIF, BMP and WebP decodes leniently (the missing rows stay background), as browsers show it.
            new("gif-truncated", gif[..(gif.Length / 2)], "image/gif", 400, Undecodable, "truncated"),
            new("gif-animated", AnimatedGif(), "image/gif", 200, null, ""),
            new("bmp-truncated-pixels", bmp[..(bmp.Length / 2)], "image/bmp", 200, null, ""),
            new("bmp-100000x100000", PatchBmpSize(bmp, 100_000, 100_000), "image/bmp", 400, Undecodable, "bigger"),
            new("bmp-top-down", PatchBmpSize(bmp, 64, -64), "image/bmp", 200, null, ""),
            new("bmp-bits-per-pixel-7", PatchBmpBits(bmp, 7), "image/bmp", 400, Undecodable, "corrupt or truncated"),
            new("webp-riff-header-only", webp[..12], "image/webp", 400, Undecodable, "Invalid Webp"),
            new("webp-truncated", webp[..(webp.Length / 2)], "image/webp", 200, null, ""),
            new("tiff-untyped", tiff, Octets, 200, null, ""),
            new("tiff-typed", tiff, "image/tiff", 415, null, ""),
            new("tiff-truncated", tiff[..(tiff.Length / 3)], Octets, 400, Undecodable, "corrupt or truncated"),
        };
        return cases;
    }

    private static readonly byte[] Svg = Encoding.UTF8.GetBytes(
        "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\"><circle cx=\"32\" cy=\"32\" r=\"20\"/></svg>");

    /// <summary>An ISO-BMFF 'ftyp heic' box and a little more: what an iPhone photo starts with.</summary>
    private static byte[] Heic()
    {
        var bytes = new byte[64];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 24);
        Encoding.ASCII.GetBytes("ftypheic").CopyTo(bytes, 4);
        Encoding.ASCII.GetBytes("mif1heic").CopyTo(bytes, 16);
        return bytes;
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] FlipByte(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0xFF;
        return copy;
    }

    /// <summary>Offset of the first JPEG marker FF <paramref name="code"/>.</summary>
    private static int Marker(byte[] jpeg, byte code)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == code) return i;
        throw new InvalidOperationException($"No FF{code:X2} marker.");
    }

    /// <summary>The JPEG with its frame header (SOF0) claiming another size; the scan data stays that of 64×64.</summary>
    private static byte[] PatchJpegSize(byte[] jpeg, int width, int height)
    {
        var copy = (byte[])jpeg.Clone();
        int sof = Marker(copy, 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(sof + 7), (ushort)width);
        return copy;
    }

    private static byte[] PatchBmpSize(byte[] bmp, int width, int height)
    {
        var copy = (byte[])bmp.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(copy.AsSpan(22), height);
        return copy;
    }

    private static byte[] PatchBmpBits(byte[] bmp, ushort bits)
    {
        var copy = (byte[])bmp.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(copy.AsSpan(28), bits);
        return copy;
    }

    private static void RotatedExif(Image<Rgb24> image)
    {
        image.Metadata.ExifProfile = new ExifProfile();
        image.Metadata.ExifProfile.SetValue(ExifTag.Orientation, (ushort)6);
    }

    private static byte[] AnimatedGif()
    {
        using var image = new Image<Rgb24>(32, 32, new Rgb24(200, 150, 120));
        using var second = new Image<Rgb24>(32, 32, new Rgb24(20, 30, 40));
        image.Frames.AddFrame(second.Frames.RootFrame);
        using var output = new MemoryStream();
        image.Save(output, new GifEncoder());
        return output.ToArray();
    }

    /// <summary>A PNG whose IHDR says width × height at the given depth and colour type, with one small IDAT.</summary>
    public static byte[] PngWithHeader(int width, int height, byte bitDepth, byte colourType)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = bitDepth;
        ihdr[9] = colourType;
        return PngFile(("IHDR", ihdr), ("IDAT", Deflate(new byte[64])), ("IEND", []));
    }

    /// <summary>An 8×8 RGB PNG whose IDAT holds bytes that are not a zlib stream (with a correct chunk CRC).</summary>
    private static byte[] PngWithCorruptIdat()
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, 8);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), 8);
        ihdr[8] = 8;
        ihdr[9] = 2;
        return PngFile(("IHDR", ihdr), ("IDAT", RandomBytes(200, seed: 5)), ("IEND", []));
    }

    /// <summary>
    /// A valid 8×8 PNG carrying a zTXt text chunk that inflates from about 64 KiB to 64 MiB: a metadata decompression
    /// bomb. The pixels are fine, so it must be decoded without inflating the text.
    /// </summary>
    private static byte[] PngWithZtxtBomb()
    {
        var valid = Valid("png", 8, 8);
        using var text = new MemoryStream();
        text.Write("Comment\0\0"u8);
        using (var z = new ZLibStream(text, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var block = new byte[1 << 20];
            block.AsSpan().Fill((byte)'a');
            for (int i = 0; i < 64; i++) z.Write(block);
        }
        // Insert the chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
        var chunk = PngChunk("zTXt", text.ToArray());
        return [.. valid[..33], .. chunk, .. valid[33..]];
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true)) z.Write(data);
        return output.ToArray();
    }

    public static byte[] PngFile(params (string Type, byte[] Data)[] chunks)
    {
        using var output = new MemoryStream();
        output.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        foreach (var (type, data) in chunks) output.Write(PngChunk(type, data));
        return output.ToArray();
    }

    private static byte[] PngChunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    private static readonly uint[] CrcTable = BuildCrcTable();

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
