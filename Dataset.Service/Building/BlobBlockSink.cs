using System.Buffers.Binary;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Dataset.Service.Telemetry;
using Heads.Core.Datasets;

namespace Dataset.Service.Building;

/// <summary>
/// A dataset file as an Azure block blob: each block is staged (invisible to readers) and one CommitBlockList makes
/// the complete file appear at once. Block ids carry the build attempt, so blocks of an abandoned attempt are never
/// part of a later attempt's commit (storage discards uncommitted blocks after a week).
/// </summary>
public sealed class BlobBlockSink(BlockBlobClient blob, Guid attempt, string contentType = "application/octet-stream") : IBlockSink
{
    public static string BlockId(Guid attempt, int index)
    {
        // Every id of a blob must have the same length: 16 bytes of attempt + 4 bytes of index, base64.
        Span<byte> raw = stackalloc byte[20];
        attempt.TryWriteBytes(raw);
        BinaryPrimitives.WriteInt32BigEndian(raw[16..], index);
        return Convert.ToBase64String(raw);
    }

    public async Task StageBlockAsync(int index, ReadOnlyMemory<byte> block, CancellationToken cancellationToken)
    {
        await blob.StageBlockAsync(BlockId(attempt, index), new BinaryData(block).ToStream(), cancellationToken: cancellationToken);
        DatasetMetrics.BytesWritten.Add(block.Length, new KeyValuePair<string, object?>("artifact", "dataset"));
    }

    public Task CommitAsync(int blockCount, string sha256, CancellationToken cancellationToken) =>
        blob.CommitBlockListAsync(Enumerable.Range(0, blockCount).Select(i => BlockId(attempt, i)), new CommitBlockListOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Metadata = new Dictionary<string, string> { ["sha256"] = sha256 },
        }, cancellationToken);
}
