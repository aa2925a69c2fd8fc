using System.Buffers;
using System.Buffers.Binary;
using Heads.Core.Geometry;

namespace Heads.Core.FaceTo3D;

/// <summary>
/// The original HeadsNet dataset files: train_x.dat with two little-endian float32 inputs per row (seed, sphere
/// coordinate) and train_y.dat with six outputs per row (x, y, z, r, g, b), written in the same row order.
/// </summary>
public sealed class HeadsNetFileWriter(Stream trainX, Stream trainY) : IDisposable
{
    private readonly Stream _x = trainX ?? throw new ArgumentNullException(nameof(trainX));
    private readonly Stream _y = trainY ?? throw new ArgumentNullException(nameof(trainY));

    public long Rows { get; private set; }

    /// <summary>Appends encoded rows (<see cref="HeadsNetRow.Floats"/> floats each), e.g. from <see cref="HeadsNetEncoder"/>.</summary>
    public void Write(ReadOnlySpan<float> rows)
    {
        if (rows.Length % HeadsNetRow.Floats != 0) throw new ArgumentException($"Rows must be {HeadsNetRow.Floats} floats each.", nameof(rows));
        int n = rows.Length / HeadsNetRow.Floats;
        var xs = ArrayPool<byte>.Shared.Rent(n * HeadsNetRow.Inputs * 4);
        var ys = ArrayPool<byte>.Shared.Rent(n * HeadsNetRow.Outputs * 4);
        try
        {
            for (int r = 0; r < n; r++)
            {
                var row = rows.Slice(r * HeadsNetRow.Floats, HeadsNetRow.Floats);
                for (int k = 0; k < HeadsNetRow.Inputs; k++)
                    BinaryPrimitives.WriteSingleLittleEndian(xs.AsSpan((r * HeadsNetRow.Inputs + k) * 4), row[k]);
                for (int k = 0; k < HeadsNetRow.Outputs; k++)
                    BinaryPrimitives.WriteSingleLittleEndian(ys.AsSpan((r * HeadsNetRow.Outputs + k) * 4), row[HeadsNetRow.Inputs + k]);
            }
            _x.Write(xs, 0, n * HeadsNetRow.Inputs * 4);
            _y.Write(ys, 0, n * HeadsNetRow.Outputs * 4);
            Rows += n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(xs);
            ArrayPool<byte>.Shared.Return(ys);
        }
    }

    /// <summary>Reads rows back from a pair of such files, a block at a time, as interleaved 8-float rows.</summary>
    public static IEnumerable<float[]> ReadBlocks(Stream trainX, Stream trainY, int rowsPerBlock = 4096)
    {
        ArgumentNullException.ThrowIfNull(trainX);
        ArgumentNullException.ThrowIfNull(trainY);
        var xs = new byte[rowsPerBlock * HeadsNetRow.Inputs * 4];
        var ys = new byte[rowsPerBlock * HeadsNetRow.Outputs * 4];
        long row = 0;
        while (true)
        {
            int gotX = trainX.ReadAtLeast(xs, xs.Length, throwOnEndOfStream: false);
            int gotY = trainY.ReadAtLeast(ys, ys.Length, throwOnEndOfStream: false);
            if (gotX % (HeadsNetRow.Inputs * 4) != 0 || gotY % (HeadsNetRow.Outputs * 4) != 0 || gotX / (HeadsNetRow.Inputs * 4) != gotY / (HeadsNetRow.Outputs * 4))
                throw new InvalidDataException($"HeadsNet files disagree or are truncated after row {row}: {gotX} input bytes, {gotY} output bytes in the last block.");
            int n = gotX / (HeadsNetRow.Inputs * 4);
            if (n == 0) yield break;
            var block = new float[n * HeadsNetRow.Floats];
            for (int r = 0; r < n; r++)
            {
                for (int k = 0; k < HeadsNetRow.Inputs; k++)
                    block[r * HeadsNetRow.Floats + k] = BinaryPrimitives.ReadSingleLittleEndian(xs.AsSpan((r * HeadsNetRow.Inputs + k) * 4));
                for (int k = 0; k < HeadsNetRow.Outputs; k++)
                    block[r * HeadsNetRow.Floats + HeadsNetRow.Inputs + k] = BinaryPrimitives.ReadSingleLittleEndian(ys.AsSpan((r * HeadsNetRow.Outputs + k) * 4));
            }
            row += n;
            yield return block;
            if (n < rowsPerBlock) yield break;
        }
    }

    public void Dispose()
    {
        _x.Flush();
        _y.Flush();
    }
}
