using System.Diagnostics;
using Heads.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>
/// Trains every net of a <see cref="VoxelEnsemble"/> at once on shared inputs. The loss is the sum of per-voxel MSEs, so
/// each net receives exactly the gradient it would receive alone. Layers after the first run through autograd (small
/// batched products); the first layer, which holds most of the parameters, is updated by <see cref="FusedFirstLayer"/>.
/// </summary>
public sealed unsafe class EnsembleTrainingSession : IDisposable
{
    private readonly VoxelEnsemble ensemble;
    private readonly float[] inputs;
    private readonly Tensor targets; // [V, N]
    private readonly InPlaceOptimizer optimizer;
    private readonly int threads;
    private readonly int inputCount;
    private readonly VolumeLoss loss;
    private float[] batchInputs = [];
    private float[] nextInputs = [];
    private Tensor? pending;      // layer 1 pre-activation for pendingBatch, [V, B, U]
    private int[]? pendingBatch;

    /// <param name="inputs">Sample-major inputs, N × In.</param>
    /// <param name="targets">Sample-major targets, N × V (column v is net v's target).</param>
    /// <param name="loss">Per-voxel loss; the default is the original's MSE.</param>
    public EnsembleTrainingSession(VoxelEnsemble ensemble, float[] inputs, float[] targets, OptimizerOptions optimizer, int threads = 0, VolumeLoss loss = VolumeLoss.Mse)
    {
        if (!Enum.IsDefined(loss)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss.");
        this.loss = loss;
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(optimizer);
        this.ensemble = ensemble;
        inputCount = ensemble.Architecture.Inputs;
        if (inputs.Length == 0 || inputs.Length % inputCount != 0)
            throw new ArgumentException($"Inputs must be N × {inputCount} values; got {inputs.Length}.", nameof(inputs));
        SampleCount = inputs.Length / inputCount;
        if (targets.Length != (long)SampleCount * ensemble.Count)
            throw new ArgumentException($"Targets must be {SampleCount} samples × {ensemble.Count} voxels = {(long)SampleCount * ensemble.Count} values; got {targets.Length}.", nameof(targets));
        this.inputs = inputs;
        this.threads = threads > 0 ? threads : Math.Max(1, get_num_threads());
        using (var t = tensor(targets, [SampleCount, ensemble.Count]))
            this.targets = t.t().contiguous();
        // Slots 0 and 1 are the first layer (updated by the fused kernel); the rest go through autograd.
        optimizer.Validate();
        this.optimizer = new InPlaceOptimizer(new[] { ensemble.FirstWeight, ensemble.FirstBias }.Concat(ensemble.LaterParameters), optimizer, this.threads);
    }

    public int SampleCount { get; }

    public long StepCount => optimizer.StepCount;

    public VoxelEnsemble Ensemble => ensemble;

    /// <summary>
    /// One optimiser step on the samples in <paramref name="batch"/>. Pass the following step's batch as <paramref name="nextBatch"/>
    /// (null after the last) so the fused kernel can compute its first layer while the updated weights are in cache.
    /// Returns the mean over voxels of each net's batch MSE.
    /// </summary>
    public double Step(int[] batch, int[]? nextBatch)
    {
        CheckBatch(batch, nameof(batch));
        if (nextBatch is not null) CheckBatch(nextBatch, nameof(nextBatch));
        if (pending is null || pendingBatch is null || !pendingBatch.AsSpan().SequenceEqual(batch))
        {
            pending?.Dispose();
            pending = FirstLayer(batch);
        }
        int v = ensemble.Count, u = ensemble.Architecture.Units;
        Gather(batch, ref batchInputs);
        if (nextBatch is not null) Gather(nextBatch, ref nextInputs);
        Tensor? next = nextBatch is null ? null : empty(v, nextBatch.Length, u);
        double loss;
        using (var scope = NewDisposeScope())
        {
            var first = pending.requires_grad_(true);
            var output = ensemble.ForwardFromFirstLayer(first);
            var index = tensor(batch.Select(i => (long)i).ToArray());
            var target = targets.index_select(1, index).unsqueeze(2);
            var total = this.loss.Penalty(this.loss.Residual(output, target)).mean([1, 2]).sum();
            total.backward();
            loss = total.item<float>() / v;

            var c = optimizer.BeginStep();
            var later = ensemble.LaterParameters.Select((p, k) => (Index: k + 2, Gradient: p.grad ?? throw new InvalidOperationException("A later-layer parameter received no gradient."))).ToList();
            optimizer.Update(later, c);
            foreach (var p in ensemble.LaterParameters) p.grad = null;
            var delta = first.grad!.contiguous();
            fixed (float* x = batchInputs, xn = nextInputs)
            {
                var buffers = new FusedFirstLayer.Buffers
                {
                    Weight = TensorMemory.Floats(ensemble.FirstWeight, "The first-layer weight"),
                    Bias = TensorMemory.Floats(ensemble.FirstBias, "The first-layer bias"),
                    WeightS1 = optimizer.State(0, 0),
                    WeightS2 = optimizer.State(0, 1),
                    BiasS1 = optimizer.State(1, 0),
                    BiasS2 = optimizer.State(1, 1),
                    BatchInputs = x,
                    PreActivationGradient = TensorMemory.Floats(delta, "The first-layer gradient"),
                    Batch = batch.Length,
                    NextInputs = next is null ? null : xn,
                    NextPreActivation = next is null ? null : TensorMemory.Floats(next, "The next first-layer output"),
                    NextBatch = nextBatch?.Length ?? 0,
                    Rows = v * u,
                    Units = u,
                    InputCount = inputCount,
                };
                FusedFirstLayer.Step(optimizer.Options.Kind, c, buffers, threads);
            }
        }
        pending.Dispose();
        pending = next;
        pendingBatch = nextBatch;
        return loss;
    }

    /// <summary>
    /// Runs a whole <see cref="BatchSchedule"/>: <paramref name="epochs"/> seeded shuffles of all samples in batches of
    /// <paramref name="batchSize"/>. <paramref name="onEpoch"/> receives (epoch, mean loss, seconds for the epoch).
    /// Returns the mean loss of each epoch.
    /// </summary>
    public IReadOnlyList<double> Train(int epochs, int batchSize, int seed, Action<int, double, double>? onEpoch = null, CancellationToken cancellationToken = default)
    {
        var batches = BatchSchedule.Create(SampleCount, batchSize, epochs, seed);
        int perEpoch = BatchSchedule.StepsPerEpoch(SampleCount, batchSize);
        var losses = new List<double>(epochs);
        var clock = Stopwatch.StartNew();
        double sum = 0;
        for (int s = 0; s < batches.Count; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            sum += Step(batches[s], s + 1 < batches.Count ? batches[s + 1] : null);
            if ((s + 1) % perEpoch == 0)
            {
                losses.Add(sum / perEpoch);
                onEpoch?.Invoke(losses.Count, sum / perEpoch, clock.Elapsed.TotalSeconds);
                clock.Restart();
                sum = 0;
            }
        }
        return losses;
    }

    private Tensor FirstLayer(int[] batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Gather(batch, ref batchInputs);
        int v = ensemble.Count, u = ensemble.Architecture.Units;
        var x = tensor(batchInputs, [batch.Length, inputCount]);
        var h = addmm(ensemble.FirstBias.view(-1), x, ensemble.FirstWeight.view(v * u, inputCount).t(), 1, 1);
        return h.view(batch.Length, v, u).transpose(0, 1).contiguous().MoveToOuterDisposeScope();
    }

    private void Gather(int[] batch, ref float[] into)
    {
        int n = batch.Length * inputCount;
        if (into.Length != n) into = new float[n];
        for (int k = 0; k < batch.Length; k++)
            Array.Copy(inputs, (long)batch[k] * inputCount, into, (long)k * inputCount, inputCount);
    }

    private void CheckBatch(int[] batch, string name)
    {
        ArgumentNullException.ThrowIfNull(batch, name);
        if (batch.Length == 0) throw new ArgumentException("A batch needs at least one sample.", name);
        foreach (var i in batch)
            if ((uint)i >= (uint)SampleCount) throw new ArgumentOutOfRangeException(name, i, $"Sample {i} is outside 0..{SampleCount - 1}.");
    }

    public void Dispose()
    {
        pending?.Dispose();
        pending = null;
        targets.Dispose();
        optimizer.Dispose();
    }
}
