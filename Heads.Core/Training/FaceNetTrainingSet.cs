using System.IO.Compression;
using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>
/// Paired FaceNet samples: faces N × 1024 uint8 (32×32 grayscale, row-major) and volumes N × 32768 uint8 (index z·1024 + y·32 + x),
/// the layout of the original train_x.dat / train_y.dat.
/// </summary>
public sealed class FaceNetTrainingSet
{
    public const int FacePixels = VolumePostProcessing.FacePixels;
    public const int VolumeVoxels = VolumePostProcessing.VolumeVoxels;

    public FaceNetTrainingSet(byte[] faces, byte[] volumes, string id = "")
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentNullException.ThrowIfNull(volumes);
        if (faces.Length % FacePixels != 0) throw new ArgumentException($"Faces must be N × {FacePixels} bytes; got {faces.Length}.", nameof(faces));
        if (volumes.Length % VolumeVoxels != 0) throw new ArgumentException($"Volumes must be N × {VolumeVoxels} bytes; got {volumes.Length}.", nameof(volumes));
        if (faces.Length / FacePixels != volumes.Length / VolumeVoxels)
            throw new ArgumentException($"{faces.Length / FacePixels} faces but {volumes.Length / VolumeVoxels} volumes.", nameof(volumes));
        Faces = faces;
        Volumes = volumes;
        Id = id ?? "";
    }

    /// <summary>Dataset identifier recorded in model manifests.</summary>
    public string Id { get; }

    public byte[] Faces { get; }

    public byte[] Volumes { get; }

    public int Count => Faces.Length / FacePixels;

    public ReadOnlySpan<byte> Face(int index) => Faces.AsSpan(CheckIndex(index) * FacePixels, FacePixels);

    public ReadOnlySpan<byte> Volume(int index) => Volumes.AsSpan(CheckIndex(index) * VolumeVoxels, VolumeVoxels);

    /// <summary>
    /// A deterministic split: a seeded shuffle picks round(N·heldOutFraction) held-out samples (at least one when N ≥ 2 and the
    /// fraction is positive); both parts keep the original order, so "the first 90 training samples" stays meaningful.
    /// </summary>
    public (FaceNetTrainingSet Train, FaceNetTrainingSet HeldOut) Split(int seed, double heldOutFraction = 0.1)
    {
        if (heldOutFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "The held-out fraction must be in [0, 1).");
        int held = (int)Math.Round(Count * heldOutFraction);
        if (heldOutFraction > 0 && Count >= 2) held = Math.Clamp(held, 1, Count - 1);
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(order);
        var heldOut = order[..held].Order().ToArray();
        var train = order[held..].Order().ToArray();
        return (Select(train, $"{Id}/train@{seed}"), Select(heldOut, $"{Id}/held-out@{seed}"));
    }

    /// <summary>The first <paramref name="count"/> samples (all when there are fewer).</summary>
    public FaceNetTrainingSet Take(int count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "The count must not be negative.");
        return count >= Count ? this : new FaceNetTrainingSet(Faces[..(count * FacePixels)], Volumes[..(count * VolumeVoxels)], Id);
    }

    public FaceNetTrainingSet Select(IReadOnlyList<int> indices, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var faces = new byte[indices.Count * FacePixels];
        var volumes = new byte[indices.Count * VolumeVoxels];
        for (int k = 0; k < indices.Count; k++)
        {
            Face(indices[k]).CopyTo(faces.AsSpan(k * FacePixels));
            Volume(indices[k]).CopyTo(volumes.AsSpan(k * VolumeVoxels));
        }
        return new FaceNetTrainingSet(faces, volumes, id ?? Id);
    }

    /// <summary>Faces scaled to [0, 1], N × 1024 floats.</summary>
    public float[] ScaledFaces()
    {
        var x = new float[Faces.Length];
        for (int i = 0; i < x.Length; i++) x[i] = Faces[i] / 255f;
        return x;
    }

    /// <summary>Reads the original files: raw faces and raw or gzip volumes (gzip detected by its magic bytes).</summary>
    public static FaceNetTrainingSet Load(string facesPath, string volumesPath, int? limit = null, string? id = null)
    {
        using var faces = File.OpenRead(facesPath);
        using var volumes = File.OpenRead(volumesPath);
        return Read(faces, volumes, limit, id ?? Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(facesPath))) ?? "");
    }

    public static FaceNetTrainingSet Read(Stream faces, Stream volumes, int? limit = null, string id = "")
    {
        ArgumentNullException.ThrowIfNull(faces);
        ArgumentNullException.ThrowIfNull(volumes);
        var x = ReadRows(faces, FacePixels, limit, "faces");
        var buffered = new BufferedStream(volumes, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int got = buffered.Read(magic);
        Stream source = new PrefixedStream(magic[..got].ToArray(), buffered);
        if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b) source = new GZipStream(source, CompressionMode.Decompress);
        using (source)
        {
            int count = x.Length / FacePixels;
            var y = ReadRows(source, VolumeVoxels, count, "volumes");
            if (y.Length / VolumeVoxels != count)
                throw new InvalidDataException($"{count} faces but only {y.Length / VolumeVoxels} volumes.");
            return new FaceNetTrainingSet(x, y, id);
        }
    }

    private static byte[] ReadRows(Stream stream, int width, int? limit, string what)
    {
        using var memory = new MemoryStream();
        var buffer = new byte[1 << 16];
        long max = limit is int l ? (long)l * width : long.MaxValue;
        while (memory.Length < max)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, max - memory.Length));
            if (n == 0) break;
            memory.Write(buffer, 0, n);
        }
        if (memory.Length % width != 0)
            throw new InvalidDataException($"The {what} data is {memory.Length} bytes, not a whole number of {width}-byte rows.");
        return memory.ToArray();
    }

    private int CheckIndex(int index) =>
        (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"The set holds {Count} samples.");

    /// <summary>Replays the bytes read to sniff the format, then continues with the stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream rest) : Stream
    {
        private int used;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (used < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - used);
                prefix.AsSpan(used, n).CopyTo(buffer);
                used += n;
                return n;
            }
            return rest.Read(buffer);
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
