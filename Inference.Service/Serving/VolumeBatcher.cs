using System.Buffers;
using System.Threading.Channels;
using Heads.Core.Models;
using TorchSharp;

namespace Inference.Service.Serving;

/// <summary>
/// Runs one model's predictions one forward pass at a time, each pass taking every face queued meanwhile (up to
/// <c>maxBatch</c>, optionally after a short <c>window</c>). A FaceNet pass costs nearly the same for 1 face as for
/// 32 — FaceNet2 reads its 5 GB of weights either way — so concurrent requests share passes instead of queueing for
/// them. Each face's row is computed independently, so a face gets the same volume whatever it is batched with.
/// </summary>
public sealed class VolumeBatcher
{
    private readonly Channel<PendingFace> queue = Channel.CreateUnbounded<PendingFace>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IVolumePredictor predictor;
    private readonly int maxBatch;
    private readonly TimeSpan window;
    private readonly Action<int>? onBatch;
    private readonly Task loop;

    public VolumeBatcher(IVolumePredictor predictor, int maxBatch, TimeSpan window, Action<int>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        this.predictor = predictor;
        this.maxBatch = maxBatch;
        this.window = window;
        this.onBatch = onBatch;
        loop = Task.Run(RunAsync);
    }

    /// <summary>The batching loop; ends after <see cref="Complete"/> once the queue is drained.</summary>
    public Task Completion => loop;

    /// <summary>Predicts one face (1024 bytes) → one volume (32768 bytes), post-processed as the original.</summary>
    public Task<byte[]> PredictAsync(byte[] face, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(face);
        if (face.Length != VolumePostProcessing.FacePixels)
            throw new ArgumentException($"A face has {VolumePostProcessing.FacePixels} pixels, not {face.Length}.", nameof(face));
        var pending = new PendingFace(face, cancellationToken);
        if (!queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(VolumeBatcher), "The model was unloaded.");
        return pending.Result.Task;
    }

    /// <summary>Stops the loop once the queue is empty; called when the model is disposed.</summary>
    public void Complete() => queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        var reader = queue.Reader;
        var batch = new List<PendingFace>(maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < maxBatch && reader.TryRead(out var face)) batch.Add(face);
            if (batch.Count < maxBatch && window > TimeSpan.Zero)
            {
                using var timeout = new CancellationTokenSource(window);
                try
                {
                    while (batch.Count < maxBatch && await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false))
                        while (batch.Count < maxBatch && reader.TryRead(out var face)) batch.Add(face);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    // The window closed; run what arrived.
                }
            }
            batch.RemoveAll(f => f.Cancellation.IsCancellationRequested && f.Result.TrySetCanceled(f.Cancellation));
            if (batch.Count == 0) continue;
            Run(batch);
        }
    }

    private void Run(List<PendingFace> batch)
    {
        try
        {
            var faces = new byte[batch.Count * VolumePostProcessing.FacePixels];
            for (int i = 0; i < batch.Count; i++) batch[i].Face.CopyTo(faces, i * VolumePostProcessing.FacePixels);
            // The batch's volumes in a pooled array: a fresh one of 3 faces or more is a large-object-heap array, and at
            // hundreds of batches a second those grew the service by a gigabyte a minute between full collections.
            int length = batch.Count * VolumePostProcessing.VolumeVoxels;
            var volumes = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                // Inference mode: no autograd bookkeeping at all (the engine's no_grad inside still applies).
                using (torch.inference_mode()) predictor.PredictVolumes(faces, volumes.AsSpan(0, length));
                onBatch?.Invoke(batch.Count);
                for (int i = 0; i < batch.Count; i++)
                    batch[i].Result.TrySetResult(volumes.AsSpan(i * VolumePostProcessing.VolumeVoxels, VolumePostProcessing.VolumeVoxels).ToArray());
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(volumes);
            }
        }
        catch (Exception e)
        {
            foreach (var f in batch) f.Result.TrySetException(e);
        }
    }

    private sealed record PendingFace(byte[] Face, CancellationToken Cancellation)
    {
        public TaskCompletionSource<byte[]> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
