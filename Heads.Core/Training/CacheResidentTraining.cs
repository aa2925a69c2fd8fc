using System.Runtime.InteropServices;
using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>
/// The cache-resident voxel-net engine. <see cref="EnsembleTrainingSession"/> steps all V nets of an ensemble together,
/// so every step streams every weight and both optimiser moments of V nets through memory; here each thread takes one
/// net at a time and runs its whole schedule (all epochs) while its 0.47 MB working set stays in the core's L2 cache,
/// then writes it back and takes the next. The work becomes bound by arithmetic, not memory. Every net sees the same
/// initial weights, batches, loss and update rule as in the ensemble session, so the trained nets are the same up to
/// the order of float sums.
/// </summary>
public static unsafe class CacheResidentTraining
{
    /// <summary>Native bytes one training thread holds for a net of <paramref name="architecture"/> (parameters, optimiser state, activations).</summary>
    public static long BytesPerThread(DenseArchitecture architecture, OptimizerOptions optimizer, int batchSize)
    {
        // Measured on a real one (half a megabyte for FaceNet2), so the figure cannot drift from the allocation.
        using var net = new ResidentNet(new ResidentNetLayout(architecture), batchSize, optimizer.StateCount, VolumeLoss.Mse);
        return net.Bytes;
    }

    /// <summary>
    /// Trains every net of <paramref name="ensemble"/> in place through <paramref name="epochs"/> seeded shuffles of the
    /// samples in batches of <paramref name="batchSize"/> (<see cref="BatchSchedule"/>). <paramref name="netTrained"/>
    /// is called (from the training threads) with the number of nets finished so far and the finished net's last-epoch
    /// loss. Returns each epoch's mean loss over nets.
    /// </summary>
    /// <param name="inputs">Sample-major inputs, N × In.</param>
    /// <param name="targets">Sample-major targets, N × V (column v is net v's target).</param>
    public static double[] Train(VoxelEnsemble ensemble, float[] inputs, float[] targets, OptimizerOptions optimizer, VolumeLoss loss,
        int epochs, int batchSize, int seed, int threads = 0, Action<int, double>? netTrained = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ensemble);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.Validate();
        if (!Enum.IsDefined(loss)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss.");
        var layout = new ResidentNetLayout(ensemble.Architecture);
        int inputCount = layout.Inputs, voxels = ensemble.Count;
        if (inputs.Length == 0 || inputs.Length % inputCount != 0)
            throw new ArgumentException($"Inputs must be N × {inputCount} values; got {inputs.Length}.", nameof(inputs));
        int samples = inputs.Length / inputCount;
        if (targets.Length != (long)samples * voxels)
            throw new ArgumentException($"Targets must be {samples} samples × {voxels} voxels = {(long)samples * voxels} values; got {targets.Length}.", nameof(targets));
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (epochs < 1) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Training needs at least one epoch.");
        threads = Math.Clamp(threads > 0 ? threads : Environment.ProcessorCount, 1, voxels);

        var batches = BatchSchedule.Create(samples, batchSize, epochs, seed);
        int perEpoch = BatchSchedule.StepsPerEpoch(samples, batchSize);
        var schedule = new UpdateSchedule(optimizer);
        var coefficients = batches.Select(_ => schedule.Next()).ToArray();
        int maxBatch = batches.Max(b => b.Length);

        var lossSums = new double[epochs];
        using var padded = new PaddedInputs(inputs, samples, inputCount, layout.InputStride + ResidentNetLayout.Pad(1), batches);
        var parameters = new[] { ensemble.FirstWeight, ensemble.FirstBias }.Concat(ensemble.LaterParameters).ToList();
        int layers = layout.Layers;
        var weights = new float*[layers];
        var biases = new float*[layers];
        weights[0] = TensorMemory.Floats(parameters[0], "The first-layer weight");
        biases[0] = TensorMemory.Floats(parameters[1], "The first-layer bias");
        for (int l = 1; l < layers; l++)
        {
            weights[l] = TensorMemory.Floats(parameters[1 + l], $"Layer {l}'s weight");
            biases[l] = TensorMemory.Floats(parameters[layers + l], $"Layer {l}'s bias");
        }

        int claimed = -1, finished = 0;
        Exception? failure = null;
        void Worker()
        {
            try
            {
                using var net = new ResidentNet(layout, maxBatch, optimizer.StateCount, loss);
                var column = new float[samples];
                var batchTargets = new float[maxBatch];
                var netLosses = new double[epochs];
                int v;
                while ((v = Interlocked.Increment(ref claimed)) < voxels && Volatile.Read(ref failure) is null)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    for (int s = 0; s < samples; s++) column[s] = targets[(long)s * voxels + v];
                    net.Load(weights, biases, v);
                    TrainNet(net, optimizer.Kind, coefficients, batches, padded, column, batchTargets, perEpoch, netLosses, cancellationToken);
                    net.Store(weights, biases, v);
                    lock (lossSums)
                        for (int e = 0; e < epochs; e++) lossSums[e] += netLosses[e];
                    netTrained?.Invoke(Interlocked.Increment(ref finished), netLosses[epochs - 1]);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
            }
        }

        // Threads of our own, not the thread pool's: each runs for minutes and should have a core to itself.
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(Worker) { IsBackground = true, Name = "voxel-net trainer" }).ToList();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        cancellationToken.ThrowIfCancellationRequested();
        return lossSums.Select(s => s / voxels).ToArray();
    }

    private static void TrainNet(ResidentNet net, OptimizerKind kind, StepCoefficients[] c, IReadOnlyList<int[]> batches, PaddedInputs inputs,
        float[] column, float[] batchTargets, int perEpoch, double[] epochLosses, CancellationToken ct)
    {
        switch (kind)
        {
            case OptimizerKind.Adam: Run(net, static k => new AdamRule(k), c, batches, inputs, column, batchTargets, perEpoch, epochLosses, ct); break;
            case OptimizerKind.Adamax: Run(net, static k => new AdamaxRule(k), c, batches, inputs, column, batchTargets, perEpoch, epochLosses, ct); break;
            case OptimizerKind.Nadam: Run(net, static k => new NadamRule(k), c, batches, inputs, column, batchTargets, perEpoch, epochLosses, ct); break;
            case OptimizerKind.Sgd: Run(net, static k => new SgdRule(k), c, batches, inputs, column, batchTargets, perEpoch, epochLosses, ct); break;
            case OptimizerKind.Momentum: Run(net, static k => new MomentumRule(k), c, batches, inputs, column, batchTargets, perEpoch, epochLosses, ct); break;
            case OptimizerKind.RmsProp: Run(net, static k => new RmsPropRule(k), c, batches, inputs, column, batchTargets, perEpoch, epochLosses, ct); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimiser.");
        }
    }

    private static void Run<TRule>(ResidentNet net, Func<StepCoefficients, TRule> rule, StepCoefficients[] c, IReadOnlyList<int[]> batches,
        PaddedInputs inputs, float[] column, float[] batchTargets, int perEpoch, double[] epochLosses, CancellationToken ct) where TRule : struct, IUpdateRule
    {
        Array.Clear(epochLosses);
        net.Begin(inputs.Rows(0), batches[0].Length);
        fixed (float* t = batchTargets)
        {
            for (int s = 0; s < batches.Count; s++)
            {
                if ((s & 255) == 255) ct.ThrowIfCancellationRequested();
                var batch = batches[s];
                for (int k = 0; k < batch.Length; k++) t[k] = column[batch[k]];
                bool more = s + 1 < batches.Count;
                double stepLoss = net.Step(rule(c[s]), inputs.Rows(s), t, batch.Length, more ? inputs.Rows(s + 1) : null, more ? batches[s + 1].Length : 0);
                epochLosses[s / perEpoch] += stepLoss / perEpoch;
            }
        }
    }

    /// <summary>The inputs with each row padded to whole SIMD vectors, and each step's batch as a table of row addresses.</summary>
    private sealed class PaddedInputs : IDisposable
    {
        private readonly float* data;
        private readonly float** rows;
        private readonly int[] offsets;

        public PaddedInputs(float[] inputs, int samples, int inputCount, int stride, IReadOnlyList<int[]> batches)
        {
            data = (float*)NativeMemory.AlignedAlloc((nuint)((long)samples * stride * sizeof(float)), 64);
            NativeMemory.Clear(data, (nuint)((long)samples * stride * sizeof(float)));
            fixed (float* source = inputs)
                for (int s = 0; s < samples; s++)
                    Buffer.MemoryCopy(source + (long)s * inputCount, data + (long)s * stride, inputCount * sizeof(float), inputCount * sizeof(float));
            offsets = new int[batches.Count + 1];
            for (int s = 0; s < batches.Count; s++) offsets[s + 1] = offsets[s] + batches[s].Length;
            rows = (float**)NativeMemory.Alloc((nuint)Math.Max(1, offsets[^1]), (nuint)sizeof(float*));
            for (int s = 0; s < batches.Count; s++)
                for (int k = 0; k < batches[s].Length; k++) rows[offsets[s] + k] = data + (long)batches[s][k] * stride;
        }

        public float** Rows(int step) => rows + offsets[step];

        public void Dispose()
        {
            NativeMemory.AlignedFree(data);
            NativeMemory.Free(rows);
        }
    }
}
