using System.Numerics;
using System.Runtime.InteropServices;
using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>
/// One voxel net's parameters, optimiser state and activations in a thread's own native buffers, trained step by step
/// with hand-written forward, backward and update loops. Nothing here is allocated per step, so a net's whole working set
/// (FaceNet2 with Adam: 0.47 MB) stays in the core's L2 cache for its whole schedule. Every update follows the same
/// rules, coefficients and order as <see cref="EnsembleTrainingSession"/>: later layers and layer 0 are updated from
/// the gradients of the same forward pass, and layer 0's update is fused with the next step's layer-0 product.
/// </summary>
internal sealed unsafe class ResidentNet : IDisposable
{
    private static readonly int W = Vector<float>.Count;
    private readonly ResidentNetLayout layout;
    private readonly Activation activation;
    private readonly VolumeLoss loss;
    private readonly int maxBatch;
    private readonly float* p, s1, s2;
    private readonly float*[] z;     // pre-activations per layer, [B, Stride(l)]
    private readonly float*[] a;     // activations per hidden layer, [B, UnitStride]
    private readonly float*[] d;     // activation derivatives per hidden layer, [B, UnitStride]
    private float* nextZ0;           // the next step's layer-0 pre-activation
    private float* delta, deltaBelow; // dLoss/dz of the layer being back-propagated and of the one below it
    private readonly float* rowGradient;
    private readonly List<IntPtr> blocks = [];

    public ResidentNet(ResidentNetLayout layout, int maxBatch, int states, VolumeLoss loss)
    {
        this.layout = layout;
        activation = layout.Architecture.Activation;
        this.loss = loss;
        this.maxBatch = maxBatch;
        // The state buffers start at different offsets within a 4 KB page from the weights: p[i], s1[i] and s2[i] at the
        // same page offset would make every load look as if it depended on the previous store (4K aliasing).
        p = Allocate(layout.Total);
        s1 = states >= 1 ? Allocate(layout.Total + 1024) + 272 : null;
        s2 = states >= 2 ? Allocate(layout.Total + 1024) + 544 : null;
        int hidden = layout.Layers - 1;
        z = new float*[layout.Layers];
        a = new float*[hidden];
        d = new float*[hidden];
        for (int l = 0; l < layout.Layers; l++) z[l] = Allocate((long)maxBatch * layout.Stride(l));
        for (int l = 0; l < hidden; l++)
        {
            a[l] = Allocate((long)maxBatch * layout.UnitStride);
            d[l] = Allocate((long)maxBatch * layout.UnitStride);
        }
        nextZ0 = Allocate((long)maxBatch * layout.UnitStride);
        int widest = Math.Max(layout.UnitStride, layout.OutputStride);
        delta = Allocate((long)maxBatch * widest);
        deltaBelow = Allocate((long)maxBatch * widest);
        rowGradient = Allocate(Math.Max(layout.InputStride, widest));
    }

    /// <summary>Bytes of native memory this net's buffers hold (parameters, state, activations).</summary>
    public long Bytes { get; private set; }

    private float* Allocate(long floats)
    {
        long bytes = Math.Max(1, floats) * sizeof(float);
        var block = (float*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        NativeMemory.Clear(block, (nuint)bytes);
        blocks.Add((IntPtr)block);
        Bytes += bytes;
        return block;
    }

    /// <summary>Loads net <paramref name="v"/> of the ensemble's tensors (layer 0 [V, U, In], [V, U]; later [V, in, out], [V, 1, out]) and zeroes its state.</summary>
    public void Load(float*[] weights, float*[] biases, int v)
    {
        NativeMemory.Clear(p, (nuint)(layout.Total * sizeof(float)));
        if (s1 != null) NativeMemory.Clear(s1, (nuint)(layout.Total * sizeof(float)));
        if (s2 != null) NativeMemory.Clear(s2, (nuint)(layout.Total * sizeof(float)));
        CopyLayers(weights, biases, v, toNet: true);
    }

    /// <summary>Writes the trained net back into row <paramref name="v"/> of the ensemble's tensors.</summary>
    public void Store(float*[] weights, float*[] biases, int v) => CopyLayers(weights, biases, v, toNet: false);

    private void CopyLayers(float*[] weights, float*[] biases, int v, bool toNet)
    {
        for (int l = 0; l < layout.Layers; l++)
        {
            int rows = layout.Units;
            int cols = l == 0 ? layout.Inputs : layout.Outputs(l);
            int stride = l == 0 ? layout.InputStride : layout.Stride(l);
            float* tensorRows = weights[l] + (long)v * rows * cols;
            float* netRows = p + layout.WeightOffset[l];
            for (int r = 0; r < rows; r++)
                Copy(tensorRows + (long)r * cols, netRows + (long)r * stride, cols, toNet);
            int biasCount = l == 0 ? layout.Units : layout.Outputs(l);
            Copy(biases[l] + (long)v * biasCount, p + layout.BiasOffset[l], biasCount, toNet);
        }
    }

    private static void Copy(float* tensor, float* net, int count, bool toNet)
    {
        if (toNet) Buffer.MemoryCopy(tensor, net, count * sizeof(float), count * sizeof(float));
        else Buffer.MemoryCopy(net, tensor, count * sizeof(float), count * sizeof(float));
    }

    /// <summary>Layer 0's pre-activation for the first step's batch (later steps get it from the previous update).</summary>
    public void Begin(float** x, int batch)
    {
        CheckBatch(batch);
        FirstLayerProduct(x, batch, z[0]);
    }

    /// <summary>
    /// One optimiser step on a batch whose padded input rows are <paramref name="x"/> and targets <paramref name="target"/>;
    /// <paramref name="next"/> (null after the last step) are the next batch's rows. Returns the batch's mean loss.
    /// </summary>
    public double Step<TRule>(TRule rule, float** x, float* target, int batch, float** next, int nextBatch) where TRule : struct, IUpdateRule
    {
        CheckBatch(batch);
        if (next != null) CheckBatch(nextBatch);
        int layers = layout.Layers, last = layers - 1;
        for (int l = 0; l < last; l++)
        {
            Activate(z[l], a[l], d[l], batch);
            LaterForward(l + 1, a[l], z[l + 1], batch);
        }

        double total = OutputDelta(z[last], target, batch, delta);
        for (int l = last; l >= 1; l--)
        {
            LaterBackward(rule, l, a[l - 1], d[l - 1], delta, deltaBelow, batch);
            float* swap = delta; delta = deltaBelow; deltaBelow = swap;
        }
        FirstLayerUpdate(rule, x, delta, batch, next, nextBatch);
        if (next != null) { float* swap = z[0]; z[0] = nextZ0; nextZ0 = swap; }
        return total;
    }

    private void CheckBatch(int batch)
    {
        if (batch < 1 || batch > maxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"A batch here has 1..{maxBatch} samples.");
    }

    private void FirstLayerProduct(float** x, int batch, float* into)
    {
        int n = layout.InputStride, us = layout.UnitStride;
        float* w0 = p + layout.WeightOffset[0], b0 = p + layout.BiasOffset[0];
        NativeMemory.Clear(into, (nuint)((long)batch * us * sizeof(float)));
        for (int u = 0; u < layout.Units; u++)
            DotRows(w0 + (long)u * n, x, batch, n, into + u, us, b0[u]);
    }

    /// <summary>into[k·stride] = bias + row · x[k], for every row of the batch, four rows per pass over the weight row.</summary>
    private static void DotRows(float* row, float** x, int batch, int n, float* into, int stride, float bias)
    {
        int k = 0;
        for (; k + 4 <= batch; k += 4)
        {
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* x0 = x[k], x1 = x[k + 1], x2 = x[k + 2], x3 = x[k + 3];
            for (int i = 0; i < n; i += W)
            {
                var w = Vector.Load(row + i);
                s0 = Vector.FusedMultiplyAdd(w, Vector.Load(x0 + i), s0);
                s1 = Vector.FusedMultiplyAdd(w, Vector.Load(x1 + i), s1);
                s2 = Vector.FusedMultiplyAdd(w, Vector.Load(x2 + i), s2);
                s3 = Vector.FusedMultiplyAdd(w, Vector.Load(x3 + i), s3);
            }
            into[(long)k * stride] = Vector.Sum(s0) + bias;
            into[(long)(k + 1) * stride] = Vector.Sum(s1) + bias;
            into[(long)(k + 2) * stride] = Vector.Sum(s2) + bias;
            into[(long)(k + 3) * stride] = Vector.Sum(s3) + bias;
        }
        for (; k + 2 <= batch; k += 2)
        {
            Vector<float> s0 = default, s1 = default;
            float* x0 = x[k], x1 = x[k + 1];
            for (int i = 0; i < n; i += W)
            {
                var w = Vector.Load(row + i);
                s0 = Vector.FusedMultiplyAdd(w, Vector.Load(x0 + i), s0);
                s1 = Vector.FusedMultiplyAdd(w, Vector.Load(x1 + i), s1);
            }
            into[(long)k * stride] = Vector.Sum(s0) + bias;
            into[(long)(k + 1) * stride] = Vector.Sum(s1) + bias;
        }
        for (; k < batch; k++)
        {
            Vector<float> s0 = default, s1 = default;
            float* x0 = x[k];
            int i = 0;
            for (; i + 2 * W <= n; i += 2 * W)
            {
                s0 = Vector.FusedMultiplyAdd(Vector.Load(row + i), Vector.Load(x0 + i), s0);
                s1 = Vector.FusedMultiplyAdd(Vector.Load(row + i + W), Vector.Load(x0 + i + W), s1);
            }
            if (i < n) s0 = Vector.FusedMultiplyAdd(Vector.Load(row + i), Vector.Load(x0 + i), s0);
            into[(long)k * stride] = Vector.Sum(s0 + s1) + bias;
        }
    }

    /// <summary>a = act(z) and d = act'(z) over the real units; padded lanes stay zero so padded weights get no gradient.</summary>
    private void Activate(float* zl, float* al, float* dl, int batch)
    {
        int us = layout.UnitStride, units = layout.Units;
        for (int k = 0; k < batch; k++)
        {
            float* zr = zl + (long)k * us, ar = al + (long)k * us, dr = dl + (long)k * us;
            switch (activation)
            {
                case Activation.Gelu:
                    for (int i = 0; i < us; i += W) Gelu(Vector.Load(zr + i), ar + i, dr + i);
                    break;
                case Activation.Selu:
                    for (int i = 0; i < us; i += W) Selu(Vector.Load(zr + i), ar + i, dr + i);
                    break;
                case Activation.Relu:
                    for (int i = 0; i < us; i += W)
                    {
                        var x = Vector.Load(zr + i);
                        var positive = Vector.GreaterThan(x, Vector<float>.Zero);
                        Vector.ConditionalSelect(positive, x, Vector<float>.Zero).Store(ar + i);
                        Vector.ConditionalSelect(positive, Vector<float>.One, Vector<float>.Zero).Store(dr + i);
                    }
                    break;
                case Activation.Tanh:
                    for (int i = 0; i < units; i++) { float y = MathF.Tanh(zr[i]); ar[i] = y; dr[i] = 1 - y * y; }
                    break;
                case Activation.Sigmoid:
                    for (int i = 0; i < units; i++) { float y = 1 / (1 + MathF.Exp(-zr[i])); ar[i] = y; dr[i] = (1 - y) * y; }
                    break;
                case Activation.Linear:
                    for (int i = 0; i < us; i += W) { Vector.Load(zr + i).Store(ar + i); Vector<float>.One.Store(dr + i); }
                    break;
                default:
                    throw new InvalidOperationException($"Unknown activation {activation}.");
            }
            for (int i = units; i < us; i++) { ar[i] = 0; dr[i] = 0; }
        }
    }

    // Exact GELU, x·Φ(x), with erf from Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), the formula libtorch's vectorised
    // CPU kernels use; its derivative Φ(x) + x·φ(x) shares the exponential.
    private static void Gelu(Vector<float> x, float* a, float* d)
    {
        var z = x * 0.70710678118654752f;
        var t = Vector<float>.One / (Vector<float>.One + Vector.Abs(z) * 0.3275911f);
        var poly = Vector.FusedMultiplyAdd(t, new Vector<float>(1.061405429f), new Vector<float>(-1.453152027f));
        poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(1.421413741f));
        poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(-0.284496736f));
        poly = Vector.FusedMultiplyAdd(poly, t, new Vector<float>(0.254829592f));
        poly *= t;
        var e = Vector.Exp(-(z * z));
        var erfAbs = Vector<float>.One - poly * e;
        var erf = Vector.ConditionalSelect(Vector.LessThan(z, Vector<float>.Zero), -erfAbs, erfAbs);
        var cdf = (Vector<float>.One + erf) * 0.5f;
        (x * cdf).Store(a);
        Vector.FusedMultiplyAdd(x * e, new Vector<float>(0.3989422804014327f), cdf).Store(d);
    }

    private const float SeluScale = 1.0507009873554804934193349852946f;
    private const float SeluAlpha = 1.6732632423543772848170429916717f;

    private static void Selu(Vector<float> x, float* a, float* d)
    {
        var positive = Vector.GreaterThan(x, Vector<float>.Zero);
        var e = Vector.Exp(Vector.Min(x, Vector<float>.Zero));
        Vector.ConditionalSelect(positive, x * SeluScale, (e - Vector<float>.One) * (SeluScale * SeluAlpha)).Store(a);
        Vector.ConditionalSelect(positive, new Vector<float>(SeluScale), e * (SeluScale * SeluAlpha)).Store(d);
    }

    /// <summary>z[k] = bias + Σ_j a[k][j] · W[j] for layer l (weights [in, out], rows of Stride(l)).</summary>
    private void LaterForward(int l, float* input, float* output, int batch)
    {
        int so = layout.Stride(l), us = layout.UnitStride, units = layout.Units;
        float* w = p + layout.WeightOffset[l], bias = p + layout.BiasOffset[l];
        if (ResidentLaterLayers.Fits(so))
        {
            if (so == ResidentLaterLayers.Lanes) ResidentLaterLayers.Forward<Rows1>(w, bias, input, us, output, so, units, batch);
            else ResidentLaterLayers.Forward<Rows2>(w, bias, input, us, output, so, units, batch);
            return;
        }
        for (int k = 0; k < batch; k++)
        {
            float* ar = input + (long)k * us, zr = output + (long)k * so;
            for (int o = 0; o < so; o += W)
            {
                var s = Vector.Load(bias + o);
                for (int j = 0; j < units; j++) s = Vector.FusedMultiplyAdd(new Vector<float>(ar[j]), Vector.Load(w + (long)j * so + o), s);
                s.Store(zr + o);
            }
        }
    }

    /// <summary>The loss of the net's single output and its gradient dLoss/dy (as torch: the mean over the batch).</summary>
    private double OutputDelta(float* output, float* target, int batch, float* into)
    {
        int so = layout.OutputStride;
        NativeMemory.Clear(into, (nuint)((long)batch * so * sizeof(float)));
        double total = 0;
        float scale = 1f / batch;
        for (int k = 0; k < batch; k++)
        {
            float y = output[(long)k * so], t = target[k];
            float residual, slope;
            if (loss == VolumeLoss.Mse || t > 0) { residual = y - t; slope = 1; }
            else { residual = MathF.Max(y, 0); slope = y >= 0 ? 1 : 0; }
            float penalty, dPenalty;
            if (loss == VolumeLoss.EmptyAwareAbsolute) { penalty = MathF.Abs(residual); dPenalty = MathF.Sign(residual); }
            else { penalty = residual * residual; dPenalty = 2 * residual; }
            total += penalty;
            into[(long)k * so] = dPenalty * slope * scale;
        }
        return total / batch;
    }

    /// <summary>
    /// Back through later layer l: for each input row j, dA[k][j] = δ[k] · W[j] with the old weights, then W[j] is updated
    /// with its gradient Σ_k a[k][j]·δ[k]; then the bias; then δ below = dA ⊙ act'(z below).
    /// </summary>
    private void LaterBackward<TRule>(TRule rule, int l, float* input, float* derivative, float* deltaHere, float* deltaInto, int batch) where TRule : struct, IUpdateRule
    {
        int so = layout.Stride(l), us = layout.UnitStride, units = layout.Units, real = layout.Outputs(l);
        long wo = layout.WeightOffset[l], bo = layout.BiasOffset[l];
        if (ResidentLaterLayers.Fits(so))
        {
            float* ws1 = s1 == null ? null : s1 + wo, ws2 = s2 == null ? null : s2 + wo, bs1 = s1 == null ? null : s1 + bo, bs2 = s2 == null ? null : s2 + bo;
            if (so == ResidentLaterLayers.Lanes)
                ResidentLaterLayers.Backward<TRule, Rows1>(rule, p + wo, ws1, ws2, p + bo, bs1, bs2, input, us, deltaHere, so, deltaInto, units, batch, real);
            else
                ResidentLaterLayers.Backward<TRule, Rows2>(rule, p + wo, ws1, ws2, p + bo, bs1, bs2, input, us, deltaHere, so, deltaInto, units, batch, real);
            ApplyDerivative(derivative, deltaInto, batch);
            return;
        }
        float* g = rowGradient;
        for (int j = 0; j < units; j++)
        {
            float* row = p + wo + (long)j * so;
            for (int o = 0; o < so; o += W) Vector<float>.Zero.Store(g + o);
            for (int k = 0; k < batch; k++)
            {
                float* dk = deltaHere + (long)k * so;
                var sum = Vector<float>.Zero;
                var aj = new Vector<float>(input[(long)k * us + j]);
                for (int o = 0; o < so; o += W)
                {
                    var dv = Vector.Load(dk + o);
                    sum = Vector.FusedMultiplyAdd(dv, Vector.Load(row + o), sum);
                    Vector.FusedMultiplyAdd(aj, dv, Vector.Load(g + o)).Store(g + o);
                }
                deltaInto[(long)k * us + j] = Vector.Sum(sum);
            }
            UpdateRow(rule, wo + (long)j * so, g, so, real);
        }
        for (int o = 0; o < so; o += W)
        {
            var s = Vector<float>.Zero;
            for (int k = 0; k < batch; k++) s += Vector.Load(deltaHere + (long)k * so + o);
            s.Store(g + o);
        }
        UpdateRow(rule, bo, g, so, real);
        ApplyDerivative(derivative, deltaInto, batch);
    }

    /// <summary>δ = dA ⊙ act'(z) over the real units; padded lanes zero.</summary>
    private void ApplyDerivative(float* derivative, float* deltaInto, int batch)
    {
        int us = layout.UnitStride, units = layout.Units;
        for (int k = 0; k < batch; k++)
        {
            float* dr = deltaInto + (long)k * us, der = derivative + (long)k * us;
            for (int i = 0; i < us; i += W) (Vector.Load(dr + i) * Vector.Load(der + i)).Store(dr + i);
            for (int i = units; i < us; i++) dr[i] = 0;
        }
    }

    /// <summary>Updates <paramref name="n"/> parameters at <paramref name="offset"/> with gradient <paramref name="g"/>; lanes from <paramref name="real"/> on are padding and are kept at zero.</summary>
    private void UpdateRow<TRule>(TRule rule, long offset, float* g, int n, int real) where TRule : struct, IUpdateRule
    {
        float* pr = p + offset;
        float* m = TRule.States >= 1 ? s1 + offset : null;
        float* v = TRule.States >= 2 ? s2 + offset : null;
        for (int i = 0; i < n; i += W)
        {
            var sa = TRule.States >= 1 ? Vector.Load(m + i) : default;
            var sb = TRule.States >= 2 ? Vector.Load(v + i) : default;
            rule.Update(Vector.Load(pr + i), Vector.Load(g + i), ref sa, ref sb).Store(pr + i);
            if (TRule.States >= 1) sa.Store(m + i);
            if (TRule.States >= 2) sb.Store(v + i);
        }
        for (int i = real; i < n; i++) pr[i] = 0;
    }

    /// <summary>
    /// Layer 0: per hidden unit, its bias, then its weight row updated with the gradient Σ_k δ[k]·x[k] formed in registers,
    /// then (while the row is in L1) the next batch's pre-activation row · x'[k] + bias.
    /// </summary>
    private void FirstLayerUpdate<TRule>(TRule rule, float** x, float* deltaHere, int batch, float** next, int nextBatch) where TRule : struct, IUpdateRule
    {
        int n = layout.InputStride, us = layout.UnitStride;
        long wo = layout.WeightOffset[0], bo = layout.BiasOffset[0];
        if (next != null) NativeMemory.Clear(nextZ0, (nuint)((long)nextBatch * us * sizeof(float)));
        if (ResidentFirstLayer.IsSupported && batch <= ResidentFirstLayer.MaxRows && (next == null || nextBatch <= ResidentFirstLayer.MaxRows))
        {
            ResidentFirstLayer.Update(rule, new ResidentFirstLayer.Args
            {
                Weight = p + wo, WeightS1 = s1 == null ? null : s1 + wo, WeightS2 = s2 == null ? null : s2 + wo,
                Bias = p + bo, BiasS1 = s1 == null ? null : s1 + bo, BiasS2 = s2 == null ? null : s2 + bo,
                Inputs = x, NextInputs = next, Delta = deltaHere, NextPreActivation = nextZ0,
                Units = layout.Units, UnitStride = us, InputStride = n, Batch = batch, NextBatch = nextBatch,
            });
            return;
        }
        float dummy1 = 0, dummy2 = 0;
        Span<Vector<float>> dv = stackalloc Vector<float>[batch];
        for (int u = 0; u < layout.Units; u++)
        {
            float gb = 0;
            for (int k = 0; k < batch; k++)
            {
                float dk = deltaHere[(long)k * us + u];
                dv[k] = new Vector<float>(dk);
                gb += dk;
            }
            ref float bs1 = ref TRule.States >= 1 ? ref s1[bo + u] : ref dummy1;
            ref float bs2 = ref TRule.States >= 2 ? ref s2[bo + u] : ref dummy2;
            float bias = p[bo + u] = rule.Update(p[bo + u], gb, ref bs1, ref bs2);

            float* row = p + wo + (long)u * n;
            float* m = TRule.States >= 1 ? s1 + wo + (long)u * n : null;
            float* v = TRule.States >= 2 ? s2 + wo + (long)u * n : null;
            for (int i = 0; i < n; i += W)
            {
                var g = dv[0] * Vector.Load(x[0] + i);
                for (int k = 1; k < batch; k++) g = Vector.FusedMultiplyAdd(dv[k], Vector.Load(x[k] + i), g);
                var sa = TRule.States >= 1 ? Vector.Load(m + i) : default;
                var sb = TRule.States >= 2 ? Vector.Load(v + i) : default;
                rule.Update(Vector.Load(row + i), g, ref sa, ref sb).Store(row + i);
                if (TRule.States >= 1) sa.Store(m + i);
                if (TRule.States >= 2) sb.Store(v + i);
            }
            if (next != null) DotRows(row, next, nextBatch, n, nextZ0 + u, us, bias);
        }
    }

    public void Dispose()
    {
        foreach (var block in blocks) NativeMemory.AlignedFree((void*)block);
        blocks.Clear();
    }
}
