using Heads.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Geometry.Tests;

public class FaceImageTests
{
    [Fact]
    public void Real_test_face_becomes_1024_bytes_resembling_the_dataset_faces()
    {
        var face = FaceImage.Load(SharedData.TestFace);
        Assert.Equal(1024, face.Length);
        // Not flat: a face has contrast.
        Assert.True(face.Max() - face.Min() > 100, $"range {face.Min()}..{face.Max()}");
        // Same from a non-seekable stream and from bytes.
        var bytes = File.ReadAllBytes(SharedData.TestFace);
        Assert.Equal(face, FaceImage.Load(new NonSeekableStream(bytes, 1000)));
        Assert.Equal(face, FaceImage.Load(bytes));
        // Similar in brightness statistics to the dataset's own 32×32 faces (same pipeline: Lanczos, 601 luma).
        using var reader = Heads.Core.FaceTo3D.FaceTo3DFiles.OpenTrainX(SharedData.TrainX);
        var sample = new byte[1024];
        double datasetMean = 0;
        int n = 0;
        while (n < 200 && reader.TryRead(sample)) { datasetMean += sample.Average(b => (double)b); n++; }
        datasetMean /= n;
        Assert.InRange(face.Average(b => (double)b), datasetMean - 70, datasetMean + 70);
    }

    public static TheoryData<string> Encoders => ["png", "bmp", "gif", "webp", "jpeg"];

    [Theory]
    [MemberData(nameof(Encoders))]
    public void Generated_images_in_every_format_decode_to_the_expected_gradient(string kind)
    {
        // Top dark, bottom bright, left-right constant: rows must come out in order from the top.
        using var image = new Image<Rgb24>(96, 64);
        image.ProcessPixelRows(a =>
        {
            for (int y = 0; y < a.Height; y++)
            {
                byte v = (byte)(y * 255 / (a.Height - 1));
                a.GetRowSpan(y).Fill(new Rgb24(v, v, v));
            }
        });
        var encoded = Encode(image, kind);
        var face = FaceImage.Load(encoded);
        Assert.Equal(1024, face.Length);
        for (int y = 1; y < 32; y++)
            Assert.True(face[y * 32 + 16] + 12 >= face[(y - 1) * 32 + 16], $"{kind}: row {y} darker than row {y - 1}");
        Assert.True(face[31 * 32 + 16] - face[16] > 150, $"{kind}: top {face[16]} bottom {face[31 * 32 + 16]}");
        for (int y = 0; y < 32; y++)
            Assert.InRange(face[y * 32 + 31] - face[y * 32], -12, 12);
    }

    [Fact]
    public void Luma_uses_601_weights_on_flat_colours()
    {
        using var image = new Image<Rgb24>(40, 40, new Rgb24(200, 100, 50));
        var face = FaceImage.Load(Encode(image, "png"));
        Assert.All(face, b => Assert.Equal((200 * 299 + 100 * 587 + 50 * 114 + 500) / 1000, b));
    }

    [Fact]
    public void Wide_images_are_centre_cropped_before_resizing()
    {
        // Left third black, middle white, right third black: the square centre crop is all white.
        using var image = new Image<Rgb24>(300, 100);
        image.ProcessPixelRows(a =>
        {
            for (int y = 0; y < a.Height; y++)
            {
                var row = a.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) row[x] = x is >= 100 and < 200 ? new Rgb24(255, 255, 255) : new Rgb24(0, 0, 0);
            }
        });
        var cropped = FaceImage.Load(Encode(image, "png"));
        Assert.True(cropped.Skip(32 * 16).Take(32).Skip(4).Take(24).All(b => b > 240));
        var squashed = FaceImage.Load(Encode(image, "png"), new FaceImageOptions { CropToSquare = false });
        Assert.True(squashed[16 * 32] < 10);
    }

    [Fact]
    public void Output_size_is_configurable()
    {
        using var image = new Image<Rgb24>(50, 50, new Rgb24(10, 10, 10));
        Assert.Equal(64 * 64, FaceImage.Load(Encode(image, "bmp"), new FaceImageOptions { Size = 64 }).Length);
    }

    [Fact]
    public void Empty_input_is_reported_as_empty()
    {
        var e = Assert.Throws<FaceImageException>(() => FaceImage.Load(Array.Empty<byte>()));
        Assert.Equal(FaceImageFailure.Empty, e.Reason);
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 })]
    [InlineData(new byte[] { 0x50, 0x4C, 0x59, 0x0A })] // "PLY\n"
    public void Random_bytes_are_undecodable(byte[] bytes)
    {
        var e = Assert.Throws<FaceImageException>(() => FaceImage.Load(bytes));
        Assert.Equal(FaceImageFailure.Undecodable, e.Reason);
    }

    [Fact]
    public void A_truncated_png_is_undecodable()
    {
        using var image = new Image<Rgb24>(64, 64, new Rgb24(1, 2, 3));
        var png = Encode(image, "png");
        var e = Assert.Throws<FaceImageException>(() => FaceImage.Load(png[..(png.Length / 2)]));
        Assert.Equal(FaceImageFailure.Undecodable, e.Reason);
    }

    [Theory]
    [InlineData("png", 0.7)]
    [InlineData("png", 0.95)]
    [InlineData("jpeg", 0.8)]
    [InlineData("gif", 0.9)]
    public void An_image_cut_inside_its_pixel_data_is_refused_not_filled_in(string kind, double kept)
    {
        // Noise, so the pixel data is most of the file and the cut falls inside it (where decoders fill in grey).
        var rng = new Random(9);
        using var image = new Image<Rgb24>(96, 96);
        for (int y = 0; y < 96; y++)
            for (int x = 0; x < 96; x++) image[x, y] = new Rgb24((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));
        var encoded = Encode(image, kind);
        Assert.Equal(32 * 32, FaceImage.Load(encoded).Length);
        var e = Assert.Throws<FaceImageException>(() => FaceImage.Load(encoded[..(int)(encoded.Length * kept)]));
        Assert.Equal(FaceImageFailure.Undecodable, e.Reason);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Too_many_pixels_fail_from_the_header_before_decoding()
    {
        using var image = new Image<Rgb24>(400, 300);
        var png = Encode(image, "png");
        var e = Assert.Throws<FaceImageException>(() => FaceImage.Load(png, new FaceImageOptions { MaxPixels = 100_000 }));
        Assert.Equal(FaceImageFailure.TooLarge, e.Reason);
        Assert.Contains("400×300", e.Message);
        // A forged header claiming a huge image fails the same way without allocating its pixels.
        var forged = (byte[])png.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(forged.AsSpan(16), 60_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(forged.AsSpan(20), 60_000);
        // IHDR is at 8 (length), 12 (type), 16 (13 data bytes), 29 (CRC of type and data).
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(29), Crc32(forged.AsSpan(12, 17)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var f = Assert.Throws<FaceImageException>(() => FaceImage.Load(forged));
        Assert.Equal(FaceImageFailure.TooLarge, f.Reason);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 50_000_000);
    }

    [Fact]
    public void Oversized_encoded_stream_is_refused()
    {
        var e = Assert.Throws<FaceImageException>(() => FaceImage.Load(new NonSeekableStream(new byte[5000]), new FaceImageOptions { MaxEncodedBytes = 1000 }));
        Assert.Equal(FaceImageFailure.TooLarge, e.Reason);
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    internal static byte[] Encode(Image image, string kind)
    {
        IImageEncoder encoder = kind switch
        {
            "png" => new PngEncoder(),
            "bmp" => new BmpEncoder(),
            "gif" => new GifEncoder(),
            "webp" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
            _ => new JpegEncoder { Quality = 95 },
        };
        using var ms = new MemoryStream();
        image.Save(ms, encoder);
        return ms.ToArray();
    }
}

public class FaceImageFuzzTests
{
    [Fact]
    public void Corrupted_images_fail_only_with_FaceImageException()
    {
        var rng = new Random(4);
        using var image = new Image<Rgb24>(48, 40);
        image.ProcessPixelRows(a =>
        {
            for (int y = 0; y < a.Height; y++)
            {
                var row = a.GetRowSpan(y);
                for (int x = 0; x < row.Length; x++) row[x] = new Rgb24((byte)(x * 5), (byte)(y * 6), (byte)(x ^ y));
            }
        });
        foreach (var kind in new[] { "png", "bmp", "gif", "webp", "jpeg" })
        {
            var encoded = FaceImageTests.Encode(image, kind);
            for (int trial = 0; trial < 40; trial++)
            {
                var bytes = (byte[])encoded.Clone();
                int flips = 1 + trial % 4;
                for (int k = 0; k < flips; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                var ex = Record.Exception(() => FaceImage.Load(bytes, new FaceImageOptions { MaxPixels = 1_000_000 }));
                if (ex is not null) Assert.IsType<FaceImageException>(ex);
            }
        }
    }
}
