using System.Numerics;

namespace Heads.Core.Training;

/// <summary>
/// The first layer of a voxel ensemble in one memory pass per step. That layer holds ~84% of FaceNet2's parameters, so its
/// weight gradient, optimiser update and the next step's forward product are fused: for each hidden unit row (In weights)
/// the gradient Σ_b δ[b]·x[b] is formed in registers (never written), the row is updated with its optimiser state, and the
/// updated row is immediately dotted with the next batch's inputs. Per weight that is p, s1, s2 read and written once
/// (24 bytes with Adam) instead of the ~48 bytes of autograd's gradient tensor plus a separate optimiser and forward.
/// </summary>
internal static unsafe class FusedFirstLayer
{
    /// <summary>Everything one fused step reads and writes. Rows are V·U hidden units, each with <see cref="Buffers.InputCount"/> weights.</summary>
    internal struct Buffers
    {
        public float* Weight;      // [V·U, In]
        public float* Bias;        // [V·U]
        public float* WeightS1, WeightS2, BiasS1, BiasS2;
        public float* BatchInputs; // this batch's inputs [B, In]
        public float* PreActivationGradient; // dLoss/dz for layer 1, [V, B, U]
        public int Batch;
        public float* NextInputs;  // next batch's inputs [B', In], or null when there is no next step
        public float* NextPreActivation; // output [V, B', U]
        public int NextBatch;
        public int Rows;
        public int Units;
        public int InputCount;
    }

    public static void Step(OptimizerKind kind, StepCoefficients c, in Buffers buffers, int threads)
    {
        switch (kind)
        {
            case OptimizerKind.Adam: Run(new AdamRule(c), buffers, threads); break;
            case OptimizerKind.Adamax: Run(new AdamaxRule(c), buffers, threads); break;
            case OptimizerKind.Nadam: Run(new NadamRule(c), buffers, threads); break;
            case OptimizerKind.Sgd: Run(new SgdRule(c), buffers, threads); break;
            case OptimizerKind.Momentum: Run(new MomentumRule(c), buffers, threads); break;
            case OptimizerKind.RmsProp: Run(new RmsPropRule(c), buffers, threads); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimiser.");
        }
    }

    private static void Run<TRule>(TRule rule, Buffers b, int threads) where TRule : struct, IUpdateRule
    {
        if (threads <= 1 || b.Rows < 64)
        {
            Rows(rule, b, 0, b.Rows);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
        {
            var (start, end) = TensorMemory.Range(b.Rows, part, threads, 1);
            Rows(rule, b, (int)start, (int)end);
        });
    }

    private static void Rows<TRule>(TRule rule, Buffers b, int start, int end) where TRule : struct, IUpdateRule
    {
        int w = Vector<float>.Count, n = b.InputCount, batch = b.Batch, next = b.NextInputs == null ? 0 : b.NextBatch;
        Span<float> delta = stackalloc float[batch];
        Span<Vector<float>> deltaV = stackalloc Vector<float>[batch];
        Span<Vector<float>> acc = stackalloc Vector<float>[Math.Max(next, 1)];
        Span<float> accTail = stackalloc float[Math.Max(next, 1)];
        float dummy1 = 0, dummy2 = 0;

        for (int r = start; r < end; r++)
        {
            int v = r / b.Units, u = r % b.Units;
            float biasGradient = 0;
            for (int k = 0; k < batch; k++)
            {
                delta[k] = b.PreActivationGradient[((long)v * batch + k) * b.Units + u];
                deltaV[k] = new Vector<float>(delta[k]);
                biasGradient += delta[k];
            }
            ref float bs1 = ref TRule.States >= 1 ? ref b.BiasS1[r] : ref dummy1;
            ref float bs2 = ref TRule.States >= 2 ? ref b.BiasS2[r] : ref dummy2;
            float bias = b.Bias[r] = rule.Update(b.Bias[r], biasGradient, ref bs1, ref bs2);

            float* p = b.Weight + (long)r * n;
            float* s1 = TRule.States >= 1 ? b.WeightS1 + (long)r * n : null;
            float* s2 = TRule.States >= 2 ? b.WeightS2 + (long)r * n : null;
            acc.Clear();
            accTail.Clear();
            int i = 0;
            for (; i + w <= n; i += w)
            {
                var g = Vector<float>.Zero;
                for (int k = 0; k < batch; k++) g += deltaV[k] * Vector.Load(b.BatchInputs + (long)k * n + i);
                var a = TRule.States >= 1 ? Vector.Load(s1 + i) : default;
                var c = TRule.States >= 2 ? Vector.Load(s2 + i) : default;
                var pv = rule.Update(Vector.Load(p + i), g, ref a, ref c);
                pv.Store(p + i);
                if (TRule.States >= 1) a.Store(s1 + i);
                if (TRule.States >= 2) c.Store(s2 + i);
                for (int k = 0; k < next; k++) acc[k] += Vector.Load(b.NextInputs + (long)k * n + i) * pv;
            }
            for (; i < n; i++)
            {
                float g = 0;
                for (int k = 0; k < batch; k++) g += delta[k] * b.BatchInputs[(long)k * n + i];
                ref float a = ref TRule.States >= 1 ? ref s1[i] : ref dummy1;
                ref float c = ref TRule.States >= 2 ? ref s2[i] : ref dummy2;
                float pv = p[i] = rule.Update(p[i], g, ref a, ref c);
                for (int k = 0; k < next; k++) accTail[k] += b.NextInputs[(long)k * n + i] * pv;
            }
            for (int k = 0; k < next; k++)
                b.NextPreActivation[((long)v * next + k) * b.Units + u] = Vector.Sum(acc[k]) + accTail[k] + bias;
        }
    }
}
