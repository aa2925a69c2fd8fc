namespace Heads.Core.FaceTo3D;

/// <summary>
/// FaceNet2's per-voxel targets: one file per voxel, train_y_{voxel}.dat, holding that voxel's byte for every sample
/// in sample order (N bytes). Written by transposing blocks of samples, so memory stays at one block however many
/// samples there are, and each file is opened once per block rather than once per sample as the original did.
/// </summary>
public static class VoxelSplitFiles
{
    public static string FileName(int voxel) => $"train_y_{voxel}.dat";

    public static string PathOf(string directory, int voxel) => Path.Combine(directory, FileName(voxel));

    /// <summary>Default transpose block: 256 MiB of volumes, so the published 3333 samples split in one pass.</summary>
    public const long DefaultMemoryBudget = 256L << 20;

    /// <summary>Samples per block for a memory budget (at least one).</summary>
    public static int BlockSamples(int recordSize, long memoryBudget) => (int)Math.Clamp(memoryBudget / recordSize, 1, int.MaxValue / recordSize);

    /// <summary>
    /// Splits every volume from <paramref name="volumes"/> into <paramref name="directory"/> (created; existing split
    /// files are replaced). Returns the number of samples written. Each split file is opened once per block of
    /// <paramref name="samplesPerBlock"/> samples (0: as many as <see cref="DefaultMemoryBudget"/> holds).
    /// </summary>
    public static long Write(SampleFileReader volumes, string directory, int samplesPerBlock = 0)
    {
        ArgumentNullException.ThrowIfNull(volumes);
        if (samplesPerBlock == 0) samplesPerBlock = BlockSamples(volumes.RecordSize, DefaultMemoryBudget);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerBlock, 1);
        Directory.CreateDirectory(directory);
        int voxels = volumes.RecordSize;
        // The block grows with the samples that arrive, up to samplesPerBlock: a short file costs little memory.
        var block = new byte[(long)Math.Min(samplesPerBlock, 64) * voxels];
        var column = new byte[samplesPerBlock];
        long total = 0;
        bool first = true;
        while (true)
        {
            int rows = 0;
            while (rows < samplesPerBlock)
            {
                if ((long)(rows + 1) * voxels > block.Length)
                    Array.Resize(ref block, (int)Math.Min((long)samplesPerBlock * voxels, (long)block.Length * 2));
                if (!volumes.TryRead(block.AsSpan(rows * voxels, voxels))) break;
                rows++;
            }
            if (rows == 0 && !first) break;
            for (int v = 0; v < voxels; v++)
            {
                for (int r = 0; r < rows; r++) column[r] = block[(long)r * voxels + v];
                using var file = new FileStream(PathOf(directory, v), first ? FileMode.Create : FileMode.Append, FileAccess.Write, FileShare.None, 1);
                file.Write(column, 0, rows);
            }
            total += rows;
            first = false;
            if (rows < samplesPerBlock) break;
        }
        return total;
    }

    /// <summary>One voxel's value for every sample.</summary>
    public static byte[] ReadVoxel(string directory, int voxel) => File.ReadAllBytes(PathOf(directory, voxel));

    /// <summary>Samples in a split directory (the length of train_y_0.dat).</summary>
    public static long SampleCount(string directory) => new FileInfo(PathOf(directory, 0)).Length;

    /// <summary>
    /// Reassembles whole volumes (voxelCount bytes each) from the split files into <paramref name="destination"/>,
    /// a block of samples at a time. Every split file must hold the same number of samples.
    /// </summary>
    public static long Join(string directory, SampleFileWriter destination, int samplesPerBlock = 0)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (samplesPerBlock == 0) samplesPerBlock = BlockSamples(destination.RecordSize, DefaultMemoryBudget);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerBlock, 1);
        int voxels = destination.RecordSize;
        long samples = SampleCount(directory);
        samplesPerBlock = (int)Math.Min(samplesPerBlock, Math.Max(samples, 1));
        var block = new byte[(long)samplesPerBlock * voxels];
        var column = new byte[samplesPerBlock];
        for (long start = 0; start < samples; start += samplesPerBlock)
        {
            int rows = (int)Math.Min(samplesPerBlock, samples - start);
            for (int v = 0; v < voxels; v++)
            {
                using var file = new FileStream(PathOf(directory, v), FileMode.Open, FileAccess.Read, FileShare.Read, 1);
                if (file.Length != samples)
                    throw new InvalidDataException($"{PathOf(directory, v)} holds {file.Length} samples, {FileName(0)} holds {samples}.");
                file.Position = start;
                file.ReadExactly(column, 0, rows);
                for (int r = 0; r < rows; r++) block[(long)r * voxels + v] = column[r];
            }
            for (int r = 0; r < rows; r++) destination.Write(block.AsSpan(r * voxels, voxels));
        }
        return samples;
    }
}
