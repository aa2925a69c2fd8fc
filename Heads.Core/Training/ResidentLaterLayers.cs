using System.Runtime.Intrinsics;

namespace Heads.Core.Training;

/// <summary>
/// The small layers after layer 0 (FaceNet2: 32 → 32, and 32 → 1) with their output rows in registers: one or two
/// 512-bit vectors (<typeparamref name="TC"/> chunks of 16 outputs). The general loops in <see cref="ResidentNet"/> handle
/// any other width; these exist because the general forward is one long chain of dependent multiply-adds per output.
/// </summary>
internal static unsafe class ResidentLaterLayers
{
    public const int Lanes = 16;

    /// <summary>Whether a layer whose rows are <paramref name="stride"/> floats runs here.</summary>
    public static bool Fits(int stride) => Vector512.IsHardwareAccelerated && (stride == Lanes || stride == 2 * Lanes);

    /// <summary>output[k] = bias + Σ_j input[k][j] · W[j] (weights [in, out], rows of <paramref name="so"/>), four batch rows at a time.</summary>
    public static void Forward<TC>(float* w, float* bias, float* input, int us, float* output, int so, int units, int batch) where TC : struct, IRowCount
    {
        var b0 = Vector512.Load(bias);
        var b1 = TC.Count > 1 ? Vector512.Load(bias + Lanes) : default;
        int k = 0;
        for (; k + 4 <= batch; k += 4)
        {
            float* a0 = input + (long)k * us, a1 = a0 + us, a2 = a1 + us, a3 = a2 + us;
            Vector512<float> s00 = b0, s10 = b0, s20 = b0, s30 = b0, s01 = b1, s11 = b1, s21 = b1, s31 = b1;
            for (int j = 0; j < units; j++)
            {
                float* row = w + (long)j * so;
                var r0 = Vector512.Load(row);
                s00 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j]), r0, s00);
                s10 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[j]), r0, s10);
                s20 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[j]), r0, s20);
                s30 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[j]), r0, s30);
                if (TC.Count > 1)
                {
                    var r1 = Vector512.Load(row + Lanes);
                    s01 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j]), r1, s01);
                    s11 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[j]), r1, s11);
                    s21 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[j]), r1, s21);
                    s31 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[j]), r1, s31);
                }
            }
            float* z = output + (long)k * so;
            s00.Store(z); s10.Store(z + so); s20.Store(z + 2L * so); s30.Store(z + 3L * so);
            if (TC.Count > 1) { s01.Store(z + Lanes); s11.Store(z + so + Lanes); s21.Store(z + 2L * so + Lanes); s31.Store(z + 3L * so + Lanes); }
        }
        for (; k < batch; k++)
        {
            // One row: split the inputs into even and odd halves for two independent chains per chunk.
            float* a0 = input + (long)k * us;
            Vector512<float> e0 = b0, e1 = b1, o0 = default, o1 = default;
            int j = 0;
            for (; j + 2 <= units; j += 2)
            {
                float* row = w + (long)j * so;
                e0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j]), Vector512.Load(row), e0);
                o0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j + 1]), Vector512.Load(row + so), o0);
                if (TC.Count > 1)
                {
                    e1 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j]), Vector512.Load(row + Lanes), e1);
                    o1 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j + 1]), Vector512.Load(row + so + Lanes), o1);
                }
            }
            if (j < units)
            {
                float* row = w + (long)j * so;
                e0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j]), Vector512.Load(row), e0);
                if (TC.Count > 1) e1 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[j]), Vector512.Load(row + Lanes), e1);
            }
            float* z = output + (long)k * so;
            (e0 + o0).Store(z);
            if (TC.Count > 1) (e1 + o1).Store(z + Lanes);
        }
    }

    /// <summary>
    /// Back through one layer: per input row j, dA[k][j] = δ[k] · W[j] with the old weights and the gradient
    /// Σ_k input[k][j]·δ[k] in registers, then W[j] updated; then the bias. Lanes from <paramref name="real"/> on are
    /// padding and are kept at zero. dA is written to <paramref name="below"/> ([B, us]), not yet multiplied by act'.
    /// </summary>
    public static void Backward<TRule, TC>(TRule rule, float* w, float* ws1, float* ws2, float* bias, float* bs1, float* bs2,
        float* input, int us, float* delta, int so, float* below, int units, int batch, int real)
        where TRule : struct, IUpdateRule where TC : struct, IRowCount
    {
        var lane = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var keep0 = Vector512.LessThan(lane, Vector512.Create((float)real));
        var keep1 = Vector512.LessThan(lane + Vector512.Create((float)Lanes), Vector512.Create((float)real));
        for (int j = 0; j < units; j++)
        {
            long at = (long)j * so;
            var r0 = Vector512.Load(w + at);
            var r1 = TC.Count > 1 ? Vector512.Load(w + at + Lanes) : default;
            Vector512<float> g0 = default, g1 = default;
            for (int k = 0; k < batch; k++)
            {
                float* dk = delta + (long)k * so;
                var d0 = Vector512.Load(dk);
                var dot = d0 * r0;
                var aj = Vector512.Create(input[(long)k * us + j]);
                g0 = Vector512.FusedMultiplyAdd(aj, d0, g0);
                if (TC.Count > 1)
                {
                    var d1 = Vector512.Load(dk + Lanes);
                    dot = Vector512.FusedMultiplyAdd(d1, r1, dot);
                    g1 = Vector512.FusedMultiplyAdd(aj, d1, g1);
                }
                below[(long)k * us + j] = Vector512.Sum(dot);
            }
            Update(rule, w + at, ws1, ws2, at, r0, g0, keep0);
            if (TC.Count > 1) Update(rule, w + at + Lanes, ws1, ws2, at + Lanes, r1, g1, keep1);
        }
        Vector512<float> gb0 = default, gb1 = default;
        for (int k = 0; k < batch; k++)
        {
            gb0 += Vector512.Load(delta + (long)k * so);
            if (TC.Count > 1) gb1 += Vector512.Load(delta + (long)k * so + Lanes);
        }
        Update(rule, bias, bs1, bs2, 0, Vector512.Load(bias), gb0, keep0);
        if (TC.Count > 1) Update(rule, bias + Lanes, bs1, bs2, Lanes, Vector512.Load(bias + Lanes), gb1, keep1);
    }

    private static void Update<TRule>(TRule rule, float* p, float* s1, float* s2, long at, Vector512<float> pv, Vector512<float> g, Vector512<float> keep)
        where TRule : struct, IUpdateRule
    {
        var a = TRule.States >= 1 ? Vector512.Load(s1 + at) : default;
        var b = TRule.States >= 2 ? Vector512.Load(s2 + at) : default;
        Vector512.ConditionalSelect(keep.AsUInt32(), rule.Update(pv, g, ref a, ref b).AsUInt32(), Vector512<uint>.Zero).AsSingle().Store(p);
        if (TRule.States >= 1) a.Store(s1 + at);
        if (TRule.States >= 2) b.Store(s2 + at);
    }
}
