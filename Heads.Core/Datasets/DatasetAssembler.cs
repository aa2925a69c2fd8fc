using System.Buffers;
using Heads.Core.Contracts;
using Heads.Core.FaceTo3D;

namespace Heads.Core.Datasets;

/// <summary>
/// Writes heads, in the order given, into a dataset's four files (train and held-out, inputs and targets), routing each
/// head by <see cref="HeldOutSplit"/>. Everything streams: memory is two blocks per file plus one chunk of rows,
/// however many heads and rows the dataset has.
/// </summary>
public sealed class DatasetAssembler : IAsyncDisposable
{
    /// <summary>HeadsNet rows are split into inputs and targets this many at a time.</summary>
    private const int HeadsNetChunkRows = 32 * 1024;

    private readonly Dictionary<(DatasetPartition, bool), StagedFileWriter> _writers = [];
    private readonly List<string> _headIds = [];
    private readonly List<string> _train = [];
    private readonly List<string> _heldOut = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public DatasetAssembler(DatasetKind kind, double heldOutFraction, Func<DatasetFileSpec, IBlockSink> sinks, int blockSize = StagedFileWriter.DefaultBlockSize)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        HeldOutSplit.ValidateFraction(heldOutFraction);
        Kind = kind;
        HeldOutFraction = heldOutFraction;
        foreach (var spec in DatasetLayout.Files(kind))
            _writers[(spec.Partition, spec.IsInput)] = new StagedFileWriter(spec, sinks(spec), blockSize);
    }

    public DatasetKind Kind { get; }
    public double HeldOutFraction { get; }
    public IReadOnlyList<string> HeadIds => _headIds;
    public IReadOnlyList<string> TrainHeadIds => _train;
    public IReadOnlyList<string> HeldOutHeadIds => _heldOut;
    public long TrainRows => _writers[(DatasetPartition.Train, true)].Rows;
    public long HeldOutRows => _writers[(DatasetPartition.HeldOut, true)].Rows;
    public long BytesWritten => _writers.Values.Sum(w => w.Bytes);

    /// <summary>Appends one FaceNet sample: a 1024-byte face and its 32768-byte volume.</summary>
    public async ValueTask AddFaceNetHeadAsync(string headId, ReadOnlyMemory<byte> face, ReadOnlyMemory<byte> volume, CancellationToken cancellationToken)
    {
        RequireKind(DatasetKind.FaceNet);
        if (face.Length != FaceTo3DFiles.FaceBytes) throw new InvalidDataException($"Head '{headId}': face has {face.Length} bytes, not {FaceTo3DFiles.FaceBytes}.");
        if (volume.Length != FaceTo3DFiles.VolumeBytes) throw new InvalidDataException($"Head '{headId}': volume has {volume.Length} bytes, not {FaceTo3DFiles.VolumeBytes}.");
        var partition = Admit(headId);
        await _writers[(partition, true)].WriteRowsAsync(face, cancellationToken);
        await _writers[(partition, false)].WriteRowsAsync(volume, cancellationToken);
    }

    /// <summary>Appends one head's HeadsNet rows (8 little-endian float32 each), streamed from <paramref name="rows"/>.</summary>
    public async Task<long> AddHeadsNetHeadAsync(string headId, Stream rows, CancellationToken cancellationToken)
    {
        RequireKind(DatasetKind.HeadsNet);
        ArgumentNullException.ThrowIfNull(rows);
        var partition = Admit(headId);
        var x = _writers[(partition, true)];
        var y = _writers[(partition, false)];
        const int rowBytes = DatasetLayout.HeadsNetRowBytes;
        var chunk = ArrayPool<byte>.Shared.Rent(HeadsNetChunkRows * rowBytes);
        var xs = ArrayPool<byte>.Shared.Rent(HeadsNetChunkRows * DatasetLayout.HeadsNetInputBytes);
        var ys = ArrayPool<byte>.Shared.Rent(HeadsNetChunkRows * DatasetLayout.HeadsNetOutputBytes);
        long total = 0;
        try
        {
            while (true)
            {
                int got = await rows.ReadAtLeastAsync(chunk.AsMemory(0, HeadsNetChunkRows * rowBytes), HeadsNetChunkRows * rowBytes, throwOnEndOfStream: false, cancellationToken);
                if (got % rowBytes != 0)
                    throw new InvalidDataException($"Head '{headId}': HeadsNet rows end with {got % rowBytes} bytes of a partial {rowBytes}-byte row after row {total + got / rowBytes}.");
                int n = got / rowBytes;
                if (n == 0) break;
                Deinterleave(chunk.AsSpan(0, got), xs, ys, n);
                await x.WriteRowsAsync(xs.AsMemory(0, n * DatasetLayout.HeadsNetInputBytes), cancellationToken);
                await y.WriteRowsAsync(ys.AsMemory(0, n * DatasetLayout.HeadsNetOutputBytes), cancellationToken);
                total += n;
                if (n < HeadsNetChunkRows) break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
            ArrayPool<byte>.Shared.Return(xs);
            ArrayPool<byte>.Shared.Return(ys);
        }
        return total;
    }

    /// <summary>Appends one head's HeadsNet rows already in memory.</summary>
    public Task<long> AddHeadsNetHeadAsync(string headId, ReadOnlyMemory<byte> rows, CancellationToken cancellationToken)
    {
        var stream = new MemoryStream(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(rows, out var segment)
            ? segment.Array! : rows.ToArray(), segment.Offset, rows.Length, writable: false);
        return AddHeadsNetHeadAsync(headId, stream, cancellationToken);
    }

    /// <summary>Commits every file and returns the manifest; nothing is visible to readers before the caller stores it.</summary>
    public async Task<DatasetManifest> CompleteAsync(string datasetId, DatasetOrigin origin, DateTimeOffset createdAt, CancellationToken cancellationToken,
        string? headIdPrefix = null, int? limit = null, string? importDirectory = null)
    {
        if (_train.Count == 0)
            throw new InvalidDataException($"Dataset '{datasetId}' would have no training rows: {_headIds.Count} heads, all held out at fraction {HeldOutFraction}.");
        var files = new List<DatasetFileEntry>();
        foreach (var spec in DatasetLayout.Files(Kind))
            files.Add(await _writers[(spec.Partition, spec.IsInput)].CompleteAsync(cancellationToken));
        var manifest = new DatasetManifest
        {
            DatasetId = datasetId,
            Kind = Kind,
            Origin = origin,
            GeneratorVersion = DatasetLayout.GeneratorVersion,
            CreatedAt = createdAt,
            HeldOutFraction = HeldOutFraction,
            HeadIdPrefix = headIdPrefix,
            Limit = limit,
            ImportDirectory = importDirectory,
            HeadIds = [.. _headIds],
            TrainHeadIds = [.. _train],
            HeldOutHeadIds = [.. _heldOut],
            TrainRows = files.First(f => f.Partition == DatasetPartition.Train).Rows,
            HeldOutRows = files.First(f => f.Partition == DatasetPartition.HeldOut).Rows,
            Files = files,
        };
        manifest.Validate($"dataset '{datasetId}'");
        return manifest;
    }

    /// <summary>Splits interleaved 8-float rows into 2-float inputs and 6-float targets, byte for byte.</summary>
    public static void Deinterleave(ReadOnlySpan<byte> rows, Span<byte> inputs, Span<byte> targets, int count)
    {
        const int rowBytes = DatasetLayout.HeadsNetRowBytes, inBytes = DatasetLayout.HeadsNetInputBytes, outBytes = DatasetLayout.HeadsNetOutputBytes;
        for (int r = 0; r < count; r++)
        {
            var row = rows.Slice(r * rowBytes, rowBytes);
            row[..inBytes].CopyTo(inputs.Slice(r * inBytes, inBytes));
            row[inBytes..].CopyTo(targets.Slice(r * outBytes, outBytes));
        }
    }

    private DatasetPartition Admit(string headId)
    {
        ArgumentException.ThrowIfNullOrEmpty(headId);
        if (!_seen.Add(headId)) throw new ArgumentException($"Head '{headId}' is already in the dataset.", nameof(headId));
        var partition = HeldOutSplit.PartitionOf(headId, HeldOutFraction);
        _headIds.Add(headId);
        (partition == DatasetPartition.Train ? _train : _heldOut).Add(headId);
        return partition;
    }

    private void RequireKind(DatasetKind kind)
    {
        if (Kind != kind) throw new InvalidOperationException($"This is a {Kind} dataset; a {kind} sample cannot be added.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _writers.Values) await w.DisposeAsync();
    }
}
