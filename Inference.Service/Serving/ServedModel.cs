using Heads.Core.Contracts;
using Heads.Core.Models;

namespace Inference.Service.Serving;

/// <summary>
/// A loaded model and what is known about it. Reference counted: the registry holds one reference while the model is
/// in its snapshot and each request holds one through a <see cref="ModelLease"/>; the networks are disposed when the
/// model has left the registry and the last request using it has finished, so a reload never pulls weights from
/// under a running forward pass.
/// </summary>
public sealed class ServedModel
{
    private readonly IDisposable network;
    private int references = 1;
    private int retired;

    private ServedModel(JobManifest job, IDisposable network, IVolumePredictor? volumes, HeadsNetModel? heads, long parameters, double loadSeconds, VolumeBatcher? batcher)
    {
        Job = job;
        this.network = network;
        Volumes = volumes;
        Heads = heads;
        Parameters = parameters;
        LoadSeconds = loadSeconds;
        Batcher = batcher;
    }

    public static ServedModel ForVolumes(JobManifest job, IVolumePredictor predictor, long parameters, double loadSeconds, Func<IVolumePredictor, VolumeBatcher> batcher)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        if (predictor is not IDisposable disposable) throw new ArgumentException("A served predictor must own disposable networks.", nameof(predictor));
        return new ServedModel(job, disposable, predictor, null, parameters, loadSeconds, batcher(predictor));
    }

    public static ServedModel ForHeads(JobManifest job, HeadsNetModel model, double loadSeconds) =>
        new(job, model, null, model, model.Network.Architecture.ParameterCount, loadSeconds, null);

    public JobManifest Job { get; }
    public Guid JobId => Job.JobId;
    public TrainingModel Kind => Job.Model;

    /// <summary>FaceNet1/2/3: faces → volumes. Null for HeadsNet.</summary>
    public IVolumePredictor? Volumes { get; }

    /// <summary>HeadsNet. Null for FaceNets.</summary>
    public HeadsNetModel? Heads { get; }

    /// <summary>Batches concurrent predictions into one forward pass (FaceNets only).</summary>
    public VolumeBatcher? Batcher { get; }

    public long Parameters { get; }
    public double LoadSeconds { get; }
    public DateTimeOffset LoadedAt { get; } = DateTimeOffset.UtcNow;

    public bool IsDisposed => Volatile.Read(ref references) == 0;

    /// <summary>Takes a reference unless the model is already disposed (retired and drained).</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int current = Volatile.Read(ref references);
            if (current == 0) return false;
            if (Interlocked.CompareExchange(ref references, current + 1, current) == current) return true;
        }
    }

    public void Release()
    {
        int left = Interlocked.Decrement(ref references);
        if (left == 0)
        {
            Batcher?.Complete();
            network.Dispose();
        }
        else if (left < 0)
        {
            throw new InvalidOperationException($"Model {JobId} was released more often than acquired.");
        }
    }

    /// <summary>Drops the registry's reference (once); the model is disposed when its last lease ends.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref retired, 1) == 0) Release();
    }
}

/// <summary>A request's hold on a <see cref="ServedModel"/>; disposing it releases the hold once.</summary>
public sealed class ModelLease(ServedModel model) : IDisposable
{
    private int released;

    public ServedModel Model { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) Model.Release();
    }
}
