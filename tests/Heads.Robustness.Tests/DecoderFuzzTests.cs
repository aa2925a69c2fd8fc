using System.Diagnostics;
using System.Globalization;
using System.Text;
using CsCheck;
using Heads.Core.Datasets;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;
using Heads.Testing.Malformed;

namespace Heads.Robustness.Tests;

/// <summary>
/// Property-based fuzzing of the PLY reader (and the head sampler behind it) and the image decoder: valid files of every
/// encoding are mutated (bit flips, interesting bytes, truncation, deleted, duplicated and inserted spans, and header
/// numbers replaced by edge values) and each mutant must either read or fail with the documented exception type, never
/// anything else, and quickly. CI runs a bounded time; the long run is opt-in (<see cref="LongSecondsVariable"/>).
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class DecoderFuzzTests(ITestOutputHelper output)
{
    public const string LongSecondsVariable = "HEADS_FUZZ_SECONDS";

    /// <summary>
    /// One mutant may take this long: a decoder loop that does not end fails instead of hanging the run. A hang check,
    /// not a speed target (a mutant takes microseconds to milliseconds; the fuzz log says how many ran).
    /// </summary>
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(5);

    // Fuzzing needs many small cases, not a few 40-megapixel decodes: a pixel cap well below the service's keeps each
    // mutant fast while the size check itself stays exercised (mutated dimensions hit it constantly).
    private static readonly FaceImageOptions FuzzImageOptions = new() { MaxPixels = 2_000_000 };

    private static readonly Lazy<byte[][]> PlySeeds = new(() =>
    {
        var mesh = SmallHead();
        return
        [
            Encoding.ASCII.GetBytes(MalformedPlys.AsciiCube),
            MalformedPlys.BinaryCube(),
            MalformedPlys.BinaryCube(bigEndian: true),
            MalformedPlys.BinaryCube(countType: "int", indexType: "uint"),
            Write(mesh, PlyFormat.Ascii, normals: true),
            Write(mesh, PlyFormat.BinaryLittleEndian, normals: true),
            Write(mesh, PlyFormat.BinaryBigEndian, normals: false),
        ];
    });

    private static readonly Lazy<byte[][]> ImageSeeds = new(() =>
    [
        MalformedImages.Valid("jpeg", 24, 20),
        MalformedImages.Valid("png", 24, 20),
        MalformedImages.Valid("gif", 24, 20),
        MalformedImages.Valid("bmp", 24, 20),
        MalformedImages.Valid("webp", 24, 20),
        MalformedImages.Valid("tiff", 24, 20),
    ]);

    /// <summary>A mutant: which seed file, and a list of edit instructions (shrinks towards fewer and smaller edits).</summary>
    private static Gen<(int Seed, uint[] Edits)> Mutants(int seeds) => Gen.Select(Gen.Int[0, seeds - 1], Gen.UInt.Array[1, 6]);

    [Fact]
    public void Mutated_plys_read_or_fail_with_PlyFormatException_only() => FuzzPlys(TimeSpan.FromSeconds(10));

    [Fact]
    public void Mutated_images_decode_or_fail_with_FaceImageException_only() => FuzzImages(TimeSpan.FromSeconds(12));

    [Fact]
    [Trait("Category", "LongFuzz")]
    public void Long_fuzz_of_both_decoders()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable(LongSecondsVariable), CultureInfo.InvariantCulture, out var s) ? s : 0;
        Assert.SkipUnless(seconds > 0, $"Set {LongSecondsVariable}=N to fuzz each decoder for N seconds.");
        FuzzPlys(TimeSpan.FromSeconds(seconds));
        FuzzImages(TimeSpan.FromSeconds(seconds));
    }

    private void FuzzPlys(TimeSpan duration)
    {
        var seeds = PlySeeds.Value;
        var sampler = new HeadSampler();
        var photo = MalformedImages.Valid("png", 16, 16);
        long cases = 0, read = 0, sampled = 0;
        var clock = Stopwatch.StartNew();
        Mutants(seeds.Length).Sample((seed, edits) =>
        {
            var bytes = Mutate(seeds[seed], edits, plyText: true);
            Interlocked.Increment(ref cases);
            var started = Stopwatch.GetTimestamp();
            // Seekable and non-seekable streams take different paths (length checks up front vs. growth as rows arrive).
            var mesh = ReadOrRefuse(() => PlyReader.Read(new MemoryStream(bytes)));
            ReadOrRefuse(() => PlyReader.Read(new NonSeekableStream(bytes)));
            if (mesh is not null)
            {
                Interlocked.Increment(ref read);
                // What the dataset service does with a mesh the reader accepts: samples, or a HeadSampleException.
                try
                {
                    sampler.Sample("fuzz", new MemoryStream(bytes), new MemoryStream(photo));
                    Interlocked.Increment(ref sampled);
                }
                catch (HeadSampleException)
                {
                }
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed > CaseLimit) throw new TimeoutException($"A {bytes.Length}-byte PLY took {elapsed.TotalSeconds:F1} s.");
        }, time: (int)duration.TotalSeconds, threads: 2, print: t => Describe(seeds[t.Item1], t.Item2, plyText: true));
        output.WriteLine($"PLY fuzz: {cases:N0} mutants in {clock.Elapsed.TotalSeconds:F1} s ({read:N0} read, {sampled:N0} became samples), no other exception, none over {CaseLimit.TotalSeconds} s.");
        Assert.True(cases > 100, $"only {cases} cases ran");
    }

    private void FuzzImages(TimeSpan duration)
    {
        var seeds = ImageSeeds.Value;
        long cases = 0, decoded = 0;
        var clock = Stopwatch.StartNew();
        Mutants(seeds.Length).Sample((seed, edits) =>
        {
            var bytes = Mutate(seeds[seed], edits, plyText: false);
            Interlocked.Increment(ref cases);
            var started = Stopwatch.GetTimestamp();
            try
            {
                FaceImage.Load(bytes, FuzzImageOptions);
                Interlocked.Increment(ref decoded);
            }
            catch (FaceImageException)
            {
            }
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed > CaseLimit) throw new TimeoutException($"A {bytes.Length}-byte image took {elapsed.TotalSeconds:F1} s.");
        }, time: (int)duration.TotalSeconds, threads: 2, print: t => Describe(seeds[t.Item1], t.Item2, plyText: false));
        output.WriteLine($"Image fuzz: {cases:N0} mutants in {clock.Elapsed.TotalSeconds:F1} s ({decoded:N0} decoded), no other exception, none over {CaseLimit.TotalSeconds} s.");
        Assert.True(cases > 100, $"only {cases} cases ran");
    }

    private static PlyMesh? ReadOrRefuse(Func<PlyMesh> read)
    {
        try
        {
            return read();
        }
        catch (PlyFormatException)
        {
            return null;
        }
    }

    private static readonly string[] EdgeNumbers = ["0", "-1", "1", "3", "255", "256", "65536", "2147483647", "2147483648", "4294967295", "99999999999", "-2147483648", "1e39", "nan", "inf", "1.5"];
    private static readonly byte[] EdgeBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE, (byte)'\n', (byte)' '];

    /// <summary>Applies each edit in turn; every instruction word picks an operation, a position and an argument.</summary>
    public static byte[] Mutate(byte[] seed, uint[] edits, bool plyText)
    {
        var bytes = new List<byte>(seed);
        foreach (var edit in edits)
        {
            if (bytes.Count == 0) break;
            int op = (int)(edit % 8);
            int at = (int)(edit / 8 % (uint)bytes.Count);
            int arg = (int)(edit >> 20);
            switch (op)
            {
                case 0: bytes[at] ^= (byte)(1 << (arg % 8)); break;
                case 1: bytes[at] = EdgeBytes[arg % EdgeBytes.Length]; break;
                case 2: bytes.RemoveRange(at, bytes.Count - at); break;
                case 3: bytes.RemoveRange(at, Math.Min(1 + arg % 64, bytes.Count - at)); break;
                case 4:
                {
                    int length = Math.Min(1 + arg % 256, bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
                }
                case 5: bytes.InsertRange(at, MalformedImages.RandomBytes(1 + arg % 32, arg)); break;
                case 6 when plyText: ReplaceNumber(bytes, at, EdgeNumbers[arg % EdgeNumbers.Length]); break;
                case 6:
                {
                    // Binary formats keep sizes in big- or little-endian words: overwrite four bytes with an edge value.
                    uint value = (arg % 4) switch { 0 => 0, 1 => 0xFFFFFFFF, 2 => 0x7FFFFFFF, _ => 0x00010000 };
                    for (int k = 0; k < 4 && at + k < bytes.Count; k++) bytes[at + k] = (byte)(value >> (8 * k));
                    break;
                }
                default: bytes[at] = (byte)arg; break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Replaces the run of digits at or after <paramref name="at"/> (a count, an index, a coordinate) with an edge value.</summary>
    private static void ReplaceNumber(List<byte> bytes, int at, string number)
    {
        int start = at;
        while (start < bytes.Count && !char.IsAsciiDigit((char)bytes[start])) start++;
        if (start == bytes.Count) return;
        int end = start;
        while (end < bytes.Count && (char.IsAsciiDigit((char)bytes[end]) || bytes[end] is (byte)'.' or (byte)'-' or (byte)'e')) end++;
        bytes.RemoveRange(start, end - start);
        bytes.InsertRange(start, Encoding.ASCII.GetBytes(number));
    }

    private static string Describe(byte[] seed, uint[] edits, bool plyText)
    {
        var bytes = Mutate(seed, edits, plyText);
        return $"{bytes.Length} bytes from a {seed.Length}-byte seed by edits [{string.Join(", ", edits)}]: {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 400)))}";
    }

    /// <summary>A small closed, coloured mesh (a subdivided sphere) like a scan: normals and colours included.</summary>
    private static HeadMesh SmallHead()
    {
        var sphere = new Icosphere(1);
        var colors = new byte[sphere.Positions.Length];
        for (int i = 0; i < colors.Length; i++) colors[i] = (byte)(100 + i % 100);
        return new HeadMesh(sphere.Positions, colors, sphere.Triangles);
    }

    private static byte[] Write(HeadMesh mesh, PlyFormat format, bool normals)
    {
        using var stream = new MemoryStream();
        PlyWriter.Write(stream, mesh, new PlyWriteOptions { Format = format, IncludeNormals = normals, Comments = ["fuzz seed"] });
        return stream.ToArray();
    }
}

/// <summary>
/// The fuzz keeps both cores busy for its whole time budget: it runs alone, after the other classes, so their own hang
/// checks and the broker they start are not starved by it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "decoder fuzzing";
}

/// <summary>A read-only stream that cannot seek and returns at most <c>chunk</c> bytes per read, like a network body.</summary>
public sealed class NonSeekableStream(byte[] data, int chunk = 4096) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, chunk), data.Length - _position);
        Array.Copy(data, _position, buffer, offset, n);
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
