using Heads.Core.Contracts;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;

namespace Trainer.Service.Jobs;

/// <summary>
/// Watches one training run: the engine reports each epoch here (on its own thread); a background loop writes the newest
/// report to the progress blob every <see cref="TrainerOptions.ProgressInterval"/> and looks for the job's cancel marker,
/// cancelling <see cref="Token"/> when it appears. Records loss and throughput metrics and logs at most one line per
/// <see cref="TrainerOptions.LogInterval"/>.
/// </summary>
public sealed class TrainingMonitor : IProgress<TrainingProgress>, IAsyncDisposable
{
    private readonly TrainingJobStore _store;
    private readonly Guid _jobId;
    private readonly VoxelShardRange? _shard;
    private readonly int _blockSize;
    private readonly TrainingModel _model;
    private readonly string _replica;
    private readonly TrainerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cancel;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private TrainingProgress? _latest;
    private int? _pruned;
    private TrainingProgress? _written;
    private DateTime _lastLog = DateTime.MinValue;

    /// <param name="blockSize">FaceNet2: networks the engine trains at once, for estimating a shard's share done.</param>
    public TrainingMonitor(TrainingJobStore store, Guid jobId, VoxelShardRange? shard, TrainingModel model, string replica,
        TrainerOptions options, ILogger logger, CancellationToken hostToken, int blockSize = int.MaxValue)
    {
        _blockSize = blockSize;
        _store = store;
        _jobId = jobId;
        _shard = shard;
        _model = model;
        _replica = replica;
        _options = options;
        _logger = logger;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(hostToken);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Cancelled when the job's cancel marker appears or the host stops.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>True when <see cref="Token"/> fired because someone cancelled the job (not because the host is stopping).</summary>
    public bool CancelledByRequest { get; private set; }

    public TrainingProgress? Latest => Volatile.Read(ref _latest);

    public void Report(TrainingProgress value)
    {
        // The engine's first report is from the first block, when only the pruned voxels count as done.
        _pruned ??= value.VoxelsDone;
        Volatile.Write(ref _latest, value);
        var model = TrainerMetrics.ModelTag(_model);
        if (double.IsFinite(value.Loss)) TrainerMetrics.Loss.Record(value.Loss, model);
        if (value.SamplesPerSecond > 0) TrainerMetrics.SamplesPerSecond.Record(value.SamplesPerSecond, model);
        var now = DateTime.UtcNow;
        bool last = value.Epoch == value.Epochs && (value.VoxelsTotal == 0 || value.VoxelsDone == value.VoxelsTotal);
        if (now - _lastLog >= _options.LogInterval || last)
        {
            _lastLog = now;
            if (_shard is { } s)
                _logger.LogInformation("Job {JobId} {Model} {Shard}: epoch {Epoch}/{Epochs}, loss {Loss:G4}, {Rate:F0} samples/s, voxels {Done}/{Total}",
                    _jobId, _model, s, value.Epoch, value.Epochs, value.Loss, value.SamplesPerSecond, value.VoxelsDone, value.VoxelsTotal);
            else
                _logger.LogInformation("Job {JobId} {Model}: epoch {Epoch}/{Epochs}, loss {Loss:G4}, {Rate:F0} samples/s",
                    _jobId, _model, value.Epoch, value.Epochs, value.Loss, value.SamplesPerSecond);
        }
    }

    /// <summary>Writes the newest progress now (marked finished when the run completed).</summary>
    public async Task FlushAsync(bool finished, CancellationToken ct)
    {
        var latest = Latest;
        if (latest is null || (ReferenceEquals(latest, _written) && !finished)) return;
        var progress = TrainingJobProgress.From(latest, _replica, finished, _pruned ?? 0, _blockSize);
        if (_shard is { } shard) await _store.WriteShardProgressAsync(_jobId, shard, progress, ct);
        else await _store.WriteProgressAsync(_jobId, progress, ct);
        _written = latest;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.ProgressInterval, _stop.Token);
                // Not cancelled by StopAsync: a write cut off on this side may still land in storage after the final
                // flush and leave the job's progress an epoch behind (seen as "Completed, epoch 3 of 4"). StopAsync
                // waits for it to end instead; the storage client's own timeouts bound that wait.
                await FlushAsync(finished: false, CancellationToken.None);
                if (!_cancel.IsCancellationRequested && await _store.IsCancelRequestedAsync(_jobId, _stop.Token))
                {
                    CancelledByRequest = true;
                    _logger.LogInformation("Job {JobId}: cancel marker found; stopping training", _jobId);
                    await _cancel.CancelAsync();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A storage blip must not end a training run; the next tick tries again.
                _logger.LogWarning("Job {JobId}: progress update failed: {Reason}", _jobId, e.Message);
            }
        }
    }

    /// <summary>Ends the background loop (progress writes and cancel checks); the caller may then flush the final state.</summary>
    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
        _cancel.Dispose();
    }
}
