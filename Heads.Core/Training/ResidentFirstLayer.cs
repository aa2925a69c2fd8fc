using System.Runtime.Intrinsics;

namespace Heads.Core.Training;

/// <summary>A batch width known to the JIT: each kernel below is compiled once per (rule, batch, next batch), so the
/// per-row deltas, input pointers and next-step accumulators are registers and the loops over rows disappear.</summary>
internal interface IRowCount
{
    static abstract int Count { get; }
}

internal readonly struct Rows0 : IRowCount { public static int Count => 0; }
internal readonly struct Rows1 : IRowCount { public static int Count => 1; }
internal readonly struct Rows2 : IRowCount { public static int Count => 2; }
internal readonly struct Rows3 : IRowCount { public static int Count => 3; }
internal readonly struct Rows4 : IRowCount { public static int Count => 4; }
internal readonly struct Rows5 : IRowCount { public static int Count => 5; }
internal readonly struct Rows6 : IRowCount { public static int Count => 6; }
internal readonly struct Rows7 : IRowCount { public static int Count => 7; }
internal readonly struct Rows8 : IRowCount { public static int Count => 8; }

/// <summary>
/// Layer 0 of a resident net in one pass per weight row and step: the gradient Σ_k δ[k]·x[k] is formed in registers, the
/// row and its optimiser state are updated, and the updated row is dotted with the next batch's inputs into the next
/// step's pre-activation, all while the row is in L1. For batches of up to 8 rows, with 512-bit vectors (rows are padded to 16 floats).
/// </summary>
internal static unsafe class ResidentFirstLayer
{
    public const int MaxRows = 8;

    /// <summary>Whether this kernel runs here (it needs 512-bit vectors in hardware).</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    internal struct Args
    {
        public float* Weight, WeightS1, WeightS2; // [U, In] rows of InputStride
        public float* Bias, BiasS1, BiasS2;       // [U]
        public float** Inputs;                    // this batch's rows
        public float** NextInputs;                // the next batch's rows, or null
        public float* Delta;                      // dLoss/dz of layer 0, [B, UnitStride]
        public float* NextPreActivation;          // [B', UnitStride]
        public int Units, UnitStride, InputStride, Batch, NextBatch;
    }

    public static void Update<TRule>(TRule rule, in Args a) where TRule : struct, IUpdateRule
    {
        switch (a.Batch)
        {
            case 1: WithNext<TRule, Rows1>(rule, a); break;
            case 2: WithNext<TRule, Rows2>(rule, a); break;
            case 3: WithNext<TRule, Rows3>(rule, a); break;
            case 4: WithNext<TRule, Rows4>(rule, a); break;
            case 5: WithNext<TRule, Rows5>(rule, a); break;
            case 6: WithNext<TRule, Rows6>(rule, a); break;
            case 7: WithNext<TRule, Rows7>(rule, a); break;
            case 8: WithNext<TRule, Rows8>(rule, a); break;
            default: throw new ArgumentOutOfRangeException(nameof(a), a.Batch, $"This kernel takes batches of 1..{MaxRows} rows.");
        }
    }

    private static void WithNext<TRule, TB>(TRule rule, in Args a) where TRule : struct, IUpdateRule where TB : struct, IRowCount
    {
        switch (a.NextInputs == null ? 0 : a.NextBatch)
        {
            case 0: Units<TRule, TB, Rows0>(rule, a); break;
            case 1: Units<TRule, TB, Rows1>(rule, a); break;
            case 2: Units<TRule, TB, Rows2>(rule, a); break;
            case 3: Units<TRule, TB, Rows3>(rule, a); break;
            case 4: Units<TRule, TB, Rows4>(rule, a); break;
            case 5: Units<TRule, TB, Rows5>(rule, a); break;
            case 6: Units<TRule, TB, Rows6>(rule, a); break;
            case 7: Units<TRule, TB, Rows7>(rule, a); break;
            case 8: Units<TRule, TB, Rows8>(rule, a); break;
            default: throw new ArgumentOutOfRangeException(nameof(a), a.NextBatch, $"This kernel takes batches of 1..{MaxRows} rows.");
        }
    }

    private static void Units<TRule, TB, TN>(TRule rule, in Args a) where TRule : struct, IUpdateRule where TB : struct, IRowCount where TN : struct, IRowCount
    {
        float dummy1 = 0, dummy2 = 0;
        int us = a.UnitStride, n = a.InputStride;
        for (int u = 0; u < a.Units; u++)
        {
            float* d = a.Delta + u;
            float gb = d[0];
            for (int k = 1; k < TB.Count; k++) gb += d[(long)k * us];
            ref float bs1 = ref TRule.States >= 1 ? ref a.BiasS1[u] : ref dummy1;
            ref float bs2 = ref TRule.States >= 2 ? ref a.BiasS2[u] : ref dummy2;
            float bias = a.Bias[u] = rule.Update(a.Bias[u], gb, ref bs1, ref bs2);
            long row = (long)u * n;
            Row<TRule, TB, TN>(rule, a.Weight + row, TRule.States >= 1 ? a.WeightS1 + row : null, TRule.States >= 2 ? a.WeightS2 + row : null,
                a.Inputs, d, us, a.NextInputs, a.NextPreActivation + u, bias, n);
        }
    }

    private static void Row<TRule, TB, TN>(TRule rule, float* p, float* m, float* v, float** x, float* d, int us, float** y, float* next, float bias, int n)
        where TRule : struct, IUpdateRule where TB : struct, IRowCount where TN : struct, IRowCount
    {
        int w = Vector512<float>.Count;
        Vector512<float> d0 = Vector512.Create(d[0]), d1 = TB.Count > 1 ? Vector512.Create(d[us]) : default, d2 = TB.Count > 2 ? Vector512.Create(d[2L * us]) : default,
            d3 = TB.Count > 3 ? Vector512.Create(d[3L * us]) : default, d4 = TB.Count > 4 ? Vector512.Create(d[4L * us]) : default, d5 = TB.Count > 5 ? Vector512.Create(d[5L * us]) : default,
            d6 = TB.Count > 6 ? Vector512.Create(d[6L * us]) : default, d7 = TB.Count > 7 ? Vector512.Create(d[7L * us]) : default;
        float* x0 = x[0], x1 = TB.Count > 1 ? x[1] : null, x2 = TB.Count > 2 ? x[2] : null, x3 = TB.Count > 3 ? x[3] : null,
            x4 = TB.Count > 4 ? x[4] : null, x5 = TB.Count > 5 ? x[5] : null, x6 = TB.Count > 6 ? x[6] : null, x7 = TB.Count > 7 ? x[7] : null;
        float* y0 = TN.Count > 0 ? y[0] : null, y1 = TN.Count > 1 ? y[1] : null, y2 = TN.Count > 2 ? y[2] : null, y3 = TN.Count > 3 ? y[3] : null,
            y4 = TN.Count > 4 ? y[4] : null, y5 = TN.Count > 5 ? y[5] : null, y6 = TN.Count > 6 ? y[6] : null, y7 = TN.Count > 7 ? y[7] : null;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (int i = 0; i < n; i += w)
        {
            var g = d0 * Vector512.Load(x0 + i);
            if (TB.Count > 1) g = Vector512.FusedMultiplyAdd(d1, Vector512.Load(x1 + i), g);
            if (TB.Count > 2) g = Vector512.FusedMultiplyAdd(d2, Vector512.Load(x2 + i), g);
            if (TB.Count > 3) g = Vector512.FusedMultiplyAdd(d3, Vector512.Load(x3 + i), g);
            if (TB.Count > 4) g = Vector512.FusedMultiplyAdd(d4, Vector512.Load(x4 + i), g);
            if (TB.Count > 5) g = Vector512.FusedMultiplyAdd(d5, Vector512.Load(x5 + i), g);
            if (TB.Count > 6) g = Vector512.FusedMultiplyAdd(d6, Vector512.Load(x6 + i), g);
            if (TB.Count > 7) g = Vector512.FusedMultiplyAdd(d7, Vector512.Load(x7 + i), g);
            var sa = TRule.States >= 1 ? Vector512.Load(m + i) : default;
            var sb = TRule.States >= 2 ? Vector512.Load(v + i) : default;
            var pv = rule.Update(Vector512.Load(p + i), g, ref sa, ref sb);
            pv.Store(p + i);
            if (TRule.States >= 1) sa.Store(m + i);
            if (TRule.States >= 2) sb.Store(v + i);
            if (TN.Count > 0) a0 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y0 + i), a0);
            if (TN.Count > 1) a1 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y1 + i), a1);
            if (TN.Count > 2) a2 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y2 + i), a2);
            if (TN.Count > 3) a3 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y3 + i), a3);
            if (TN.Count > 4) a4 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y4 + i), a4);
            if (TN.Count > 5) a5 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y5 + i), a5);
            if (TN.Count > 6) a6 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y6 + i), a6);
            if (TN.Count > 7) a7 = Vector512.FusedMultiplyAdd(pv, Vector512.Load(y7 + i), a7);
        }
        if (TN.Count > 0) next[0] = Vector512.Sum(a0) + bias;
        if (TN.Count > 1) next[us] = Vector512.Sum(a1) + bias;
        if (TN.Count > 2) next[2L * us] = Vector512.Sum(a2) + bias;
        if (TN.Count > 3) next[3L * us] = Vector512.Sum(a3) + bias;
        if (TN.Count > 4) next[4L * us] = Vector512.Sum(a4) + bias;
        if (TN.Count > 5) next[5L * us] = Vector512.Sum(a5) + bias;
        if (TN.Count > 6) next[6L * us] = Vector512.Sum(a6) + bias;
        if (TN.Count > 7) next[7L * us] = Vector512.Sum(a7) + bias;
    }
}
