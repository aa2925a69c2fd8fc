using System.Buffers;
using System.Security.Cryptography;

namespace Heads.Core.Datasets;

/// <summary>
/// Where a dataset file's bytes go, block by block. Staged blocks are invisible until <see cref="CommitAsync"/> makes
/// blocks 0..count-1 the file's whole content at once (Azure block blobs: StageBlock, then CommitBlockList).
/// </summary>
public interface IBlockSink
{
    Task StageBlockAsync(int index, ReadOnlyMemory<byte> block, CancellationToken cancellationToken);

    Task CommitAsync(int blockCount, string sha256, CancellationToken cancellationToken);
}

/// <summary>
/// Streams one dataset file into an <see cref="IBlockSink"/> in blocks of a fixed size, hashing as it goes, so a file
/// of any length needs two blocks of memory: one being filled while the previous one is staged.
/// </summary>
public sealed class StagedFileWriter : IAsyncDisposable
{
    public const int DefaultBlockSize = 4 << 20;

    private readonly IBlockSink _sink;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[] _buffer;
    private byte[] _spare;
    private int _filled;
    private int _blocks;
    private Task? _staging;
    private bool _completed;

    public StagedFileWriter(DatasetFileSpec spec, IBlockSink sink, int blockSize = DefaultBlockSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Spec = spec;
        _sink = sink;
        _buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        _spare = ArrayPool<byte>.Shared.Rent(blockSize);
        BlockSize = blockSize;
    }

    public DatasetFileSpec Spec { get; }

    public int BlockSize { get; }

    public long Bytes { get; private set; }

    public long Rows => Bytes / Spec.RowBytes;

    /// <summary>Appends whole rows of <see cref="DatasetFileSpec.RowBytes"/> bytes.</summary>
    public async ValueTask WriteRowsAsync(ReadOnlyMemory<byte> rows, CancellationToken cancellationToken)
    {
        if (rows.Length % Spec.RowBytes != 0)
            throw new ArgumentException($"{Spec.Name}: {rows.Length} bytes is not a whole number of {Spec.RowBytes}-byte rows.", nameof(rows));
        ObjectDisposedException.ThrowIf(_completed, this);
        while (!rows.IsEmpty)
        {
            int n = Math.Min(rows.Length, BlockSize - _filled);
            rows.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            Bytes += n;
            rows = rows[n..];
            if (_filled == BlockSize) await StageFilledAsync(cancellationToken);
        }
    }

    /// <summary>Stages what is left and commits the file; returns its manifest entry.</summary>
    public async Task<DatasetFileEntry> CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_filled > 0) await StageFilledAsync(cancellationToken);
        if (_staging is not null) await _staging;
        _staging = null;
        var sha256 = Convert.ToHexStringLower(_hash.GetHashAndReset());
        await _sink.CommitAsync(_blocks, sha256, cancellationToken);
        _completed = true;
        Release();
        return new DatasetFileEntry
        {
            Name = Spec.Name,
            Partition = Spec.Partition,
            Role = Spec.IsInput ? DatasetFileRole.Inputs : DatasetFileRole.Targets,
            RowBytes = Spec.RowBytes,
            Rows = Rows,
            Bytes = Bytes,
            Sha256 = sha256,
        };
    }

    private async ValueTask StageFilledAsync(CancellationToken cancellationToken)
    {
        _hash.AppendData(_buffer, 0, _filled);
        // The previous block must be staged before its buffer is filled again.
        if (_staging is not null) await _staging;
        _staging = _sink.StageBlockAsync(_blocks++, _buffer.AsMemory(0, _filled), cancellationToken);
        (_buffer, _spare) = (_spare, _buffer);
        _filled = 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_staging is not null)
        {
            // An abandoned file: its staged blocks stay uncommitted (invisible); only wait so the buffer can be returned.
            try { await _staging; } catch (Exception) when (!_completed) { }
            _staging = null;
        }
        Release();
    }

    private void Release()
    {
        if (_buffer.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        ArrayPool<byte>.Shared.Return(_spare);
        _buffer = _spare = [];
        _hash.Dispose();
    }
}
