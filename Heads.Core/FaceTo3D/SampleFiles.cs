using System.IO.Compression;

namespace Heads.Core.FaceTo3D;

/// <summary>
/// The original FaceTo3D dataset files: fixed-size uint8 records back to back, no header.
/// train_x.dat holds N faces of 32×32 (1024 bytes, row-major from the top); train_y.dat holds N volumes of 32³
/// (32768 bytes, index z·1024 + y·32 + x), often gzip-compressed as train_y.dat.gz.
/// </summary>
public static class FaceTo3DFiles
{
    public const int FaceBytes = 32 * 32;
    public const int VolumeBytes = 32 * 32 * 32;

    public static SampleFileReader OpenTrainX(string path) => SampleFileReader.Open(path, FaceBytes);

    public static SampleFileReader OpenTrainY(string path) => SampleFileReader.Open(path, VolumeBytes);

    public static SampleFileWriter CreateTrainX(string path) => SampleFileWriter.Create(path, FaceBytes);

    public static SampleFileWriter CreateTrainY(string path) => SampleFileWriter.Create(path, VolumeBytes);

    /// <summary>True when the stream starts with the gzip magic (1f 8b); the position is restored.</summary>
    public static bool IsGzip(Stream stream)
    {
        if (!stream.CanSeek) return false;
        long at = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int n = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = at;
        return n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }
}

/// <summary>
/// Streams fixed-size records (faces or volumes) from a raw or gzip file; one record is in memory at a time.
/// A trailing partial record is an error that names the record and byte offset.
/// </summary>
public sealed class SampleFileReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly string _name;

    public SampleFileReader(Stream stream, int recordSize, string name = "stream", bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(recordSize, 1);
        RecordSize = recordSize;
        _name = name;
        _leaveOpen = leaveOpen;
        if (FaceTo3DFiles.IsGzip(stream))
        {
            _stream = new GZipStream(stream, CompressionMode.Decompress, leaveOpen);
        }
        else
        {
            _stream = stream;
            if (stream.CanSeek)
            {
                long bytes = stream.Length - stream.Position;
                if (bytes % recordSize != 0)
                    throw new InvalidDataException($"{name}: {bytes} bytes is not a whole number of {recordSize}-byte records ({bytes / recordSize} records and {bytes % recordSize} bytes over).");
                Count = bytes / recordSize;
            }
        }
    }

    public static SampleFileReader Open(string path, int recordSize)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            return new SampleFileReader(stream, recordSize, path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public int RecordSize { get; }

    /// <summary>Records in the file when it can be told without reading it (uncompressed and seekable).</summary>
    public long? Count { get; }

    /// <summary>Records read so far.</summary>
    public long Index { get; private set; }

    /// <summary>Reads the next record into <paramref name="record"/>; false at the end of the data.</summary>
    public bool TryRead(Span<byte> record)
    {
        if (record.Length < RecordSize) throw new ArgumentException($"Record buffer needs {RecordSize} bytes.", nameof(record));
        int got = _stream.ReadAtLeast(record[..RecordSize], RecordSize, throwOnEndOfStream: false);
        if (got == 0) return false;
        if (got < RecordSize)
            throw new InvalidDataException($"{_name}: record {Index} is truncated: {got} of {RecordSize} bytes at byte offset {Index * RecordSize}.");
        Index++;
        return true;
    }

    /// <summary>Every remaining record as its own array.</summary>
    public IEnumerable<byte[]> ReadAll()
    {
        while (true)
        {
            var record = new byte[RecordSize];
            if (!TryRead(record)) yield break;
            yield return record;
        }
    }

    /// <summary>Skips <paramref name="records"/> records; false if the data ends first.</summary>
    public bool Skip(long records)
    {
        if (_stream.CanSeek)
        {
            long target = _stream.Position + records * RecordSize;
            if (target > _stream.Length) return false;
            _stream.Position = target;
            Index += records;
            return true;
        }
        var scratch = new byte[RecordSize];
        for (long i = 0; i < records; i++)
            if (!TryRead(scratch)) return false;
        return true;
    }

    public void Dispose()
    {
        if (!_leaveOpen || _stream is GZipStream) _stream.Dispose();
    }
}

/// <summary>Writes fixed-size records; a path ending in .gz is gzip-compressed.</summary>
public sealed class SampleFileWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;

    public SampleFileWriter(Stream stream, int recordSize, bool compress = false, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(recordSize, 1);
        RecordSize = recordSize;
        _leaveOpen = leaveOpen;
        _stream = compress ? new GZipStream(stream, CompressionLevel.Optimal, leaveOpen) : stream;
    }

    public static SampleFileWriter Create(string path, int recordSize)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        return new SampleFileWriter(stream, recordSize, path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
    }

    public int RecordSize { get; }

    public long Count { get; private set; }

    public void Write(ReadOnlySpan<byte> record)
    {
        if (record.Length != RecordSize) throw new ArgumentException($"A record is {RecordSize} bytes, got {record.Length}.", nameof(record));
        _stream.Write(record);
        Count++;
    }

    public void Dispose()
    {
        if (!_leaveOpen || _stream is GZipStream) _stream.Dispose();
    }
}
