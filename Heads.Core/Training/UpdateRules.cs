using System.Numerics;
using System.Runtime.Intrinsics;

namespace Heads.Core.Training;

/// <summary>Per-step scalars of an update rule (bias corrections, step sizes), computed in double as PyTorch does, applied in float.</summary>
internal readonly record struct StepCoefficients(
    float A, float B, float C, float D, float E, float F, float Epsilon);

/// <summary>
/// One optimiser's element-wise update. Each rule exists as a struct so the JIT specialises the loops that use it;
/// a rule keeps up to two state values per parameter (s1, s2).
/// </summary>
internal interface IUpdateRule
{
    static abstract int States { get; }
    Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> s1, ref Vector<float> s2);
    Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> s1, ref Vector512<float> s2);
    float Update(float p, float g, ref float s1, ref float s2);
}

/// <summary>Adam: m ← lerp(m, g, 1−β1); v ← β2·v + (1−β2)·g²; p ← p − (lr/bc1)·m / (√v/√bc2 + ε).</summary>
internal readonly struct AdamRule(StepCoefficients c) : IUpdateRule
{
    // A = 1−β1, B = β2, C = 1−β2, D = lr/bc1, E = 1/√bc2
    public static int States => 2;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> m, ref Vector<float> v)
    {
        m += (g - m) * c.A;
        v = v * c.B + g * g * c.C;
        return p - m * c.D / (Vector.SquareRoot(v) * c.E + new Vector<float>(c.Epsilon));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> m, ref Vector512<float> v)
    {
        m += (g - m) * c.A;
        v = v * c.B + g * g * c.C;
        return p - m * c.D / (Vector512.Sqrt(v) * c.E + Vector512.Create(c.Epsilon));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float Update(float p, float g, ref float m, ref float v)
    {
        m += (g - m) * c.A;
        v = v * c.B + g * g * c.C;
        return p - m * c.D / (MathF.Sqrt(v) * c.E + c.Epsilon);
    }
}

/// <summary>Adamax: m ← lerp(m, g, 1−β1); u ← max(β2·u, |g| + ε); p ← p − (lr/bc1)·m/u.</summary>
internal readonly struct AdamaxRule(StepCoefficients c) : IUpdateRule
{
    // A = 1−β1, B = β2, D = lr/bc1
    public static int States => 2;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> m, ref Vector<float> u)
    {
        m += (g - m) * c.A;
        u = Vector.Max(u * c.B, Vector.Abs(g) + new Vector<float>(c.Epsilon));
        return p - m * c.D / u;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> m, ref Vector512<float> u)
    {
        m += (g - m) * c.A;
        u = Vector512.Max(u * c.B, Vector512.Abs(g) + Vector512.Create(c.Epsilon));
        return p - m * c.D / u;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float Update(float p, float g, ref float m, ref float u)
    {
        m += (g - m) * c.A;
        u = MathF.Max(u * c.B, MathF.Abs(g) + c.Epsilon);
        return p - m * c.D / u;
    }
}

/// <summary>NAdam (Dozat; PyTorch's momentum-decay schedule): a Nesterov step mixing g and m, both over √(v/bc2) + ε.</summary>
internal readonly struct NadamRule(StepCoefficients c) : IUpdateRule
{
    // A = 1−β1, B = β2, C = 1−β2, D = 1/bc2, E = lr(1−μt)/(1−Πμ), F = lr·μt+1/(1−Πμ·μt+1)
    public static int States => 2;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> m, ref Vector<float> v)
    {
        m += (g - m) * c.A;
        v = v * c.B + g * g * c.C;
        var denom = Vector.SquareRoot(v * c.D) + new Vector<float>(c.Epsilon);
        p -= g * c.E / denom;
        return p - m * c.F / denom;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> m, ref Vector512<float> v)
    {
        m += (g - m) * c.A;
        v = v * c.B + g * g * c.C;
        var denom = Vector512.Sqrt(v * c.D) + Vector512.Create(c.Epsilon);
        p -= g * c.E / denom;
        return p - m * c.F / denom;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float Update(float p, float g, ref float m, ref float v)
    {
        m += (g - m) * c.A;
        v = v * c.B + g * g * c.C;
        float denom = MathF.Sqrt(v * c.D) + c.Epsilon;
        p -= g * c.E / denom;
        return p - m * c.F / denom;
    }
}

/// <summary>SGD: p ← p − lr·g.</summary>
internal readonly struct SgdRule(StepCoefficients c) : IUpdateRule
{
    // D = lr
    public static int States => 0;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> s1, ref Vector<float> s2) => p - g * c.D;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> s1, ref Vector512<float> s2) => p - g * c.D;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float Update(float p, float g, ref float s1, ref float s2) => p - g * c.D;
}

/// <summary>Momentum: b ← μ·b + g; p ← p − lr·b (b starts at 0, so the first step is b = g as in torch).</summary>
internal readonly struct MomentumRule(StepCoefficients c) : IUpdateRule
{
    // B = μ, D = lr
    public static int States => 1;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> buffer, ref Vector<float> s2)
    {
        buffer = buffer * c.B + g;
        return p - buffer * c.D;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> buffer, ref Vector512<float> s2)
    {
        buffer = buffer * c.B + g;
        return p - buffer * c.D;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float Update(float p, float g, ref float buffer, ref float s2)
    {
        buffer = buffer * c.B + g;
        return p - buffer * c.D;
    }
}

/// <summary>RMSprop: s ← ρ·s + (1−ρ)·g²; p ← p − lr·g/(√s + ε).</summary>
internal readonly struct RmsPropRule(StepCoefficients c) : IUpdateRule
{
    // B = ρ, C = 1−ρ, D = lr
    public static int States => 1;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector<float> Update(Vector<float> p, Vector<float> g, ref Vector<float> s, ref Vector<float> s2)
    {
        s = s * c.B + g * g * c.C;
        return p - g * c.D / (Vector.SquareRoot(s) + new Vector<float>(c.Epsilon));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Update(Vector512<float> p, Vector512<float> g, ref Vector512<float> s, ref Vector512<float> s2)
    {
        s = s * c.B + g * g * c.C;
        return p - g * c.D / (Vector512.Sqrt(s) + Vector512.Create(c.Epsilon));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float Update(float p, float g, ref float s, ref float s2)
    {
        s = s * c.B + g * g * c.C;
        return p - g * c.D / (MathF.Sqrt(s) + c.Epsilon);
    }
}

/// <summary>Tracks an optimiser's step count (and NAdam's running μ product) and produces each step's coefficients.</summary>
internal sealed class UpdateSchedule(OptimizerOptions options)
{
    private double muProduct = 1.0;

    public OptimizerOptions Options { get; } = options;

    public long Step { get; private set; }

    /// <summary>Multiplies the learning rate from the next step on (a schedule); exactly 1 leaves every coefficient as the options give it.</summary>
    public double LearningRateScale { get; set; } = 1;

    public StepCoefficients Next()
    {
        Step++;
        var o = Options with { LearningRate = Options.LearningRate * LearningRateScale };
        double t = Step;
        double bc1 = 1 - Math.Pow(o.Beta1, t), bc2 = 1 - Math.Pow(o.Beta2, t);
        float eps = (float)o.Epsilon;
        switch (o.Kind)
        {
            case OptimizerKind.Adam:
                return new((float)(1 - o.Beta1), (float)o.Beta2, (float)(1 - o.Beta2), (float)(o.LearningRate / bc1), (float)(1 / Math.Sqrt(bc2)), 0, eps);
            case OptimizerKind.Adamax:
                return new((float)(1 - o.Beta1), (float)o.Beta2, 0, (float)(o.LearningRate / bc1), 0, 0, eps);
            case OptimizerKind.Nadam:
                double mu = o.Beta1 * (1 - 0.5 * Math.Pow(0.96, t * o.MomentumDecay));
                double muNext = o.Beta1 * (1 - 0.5 * Math.Pow(0.96, (t + 1) * o.MomentumDecay));
                muProduct *= mu;
                double gradCoef = o.LearningRate * (1 - mu) / (1 - muProduct);
                double momCoef = o.LearningRate * muNext / (1 - muProduct * muNext);
                return new((float)(1 - o.Beta1), (float)o.Beta2, (float)(1 - o.Beta2), (float)(1 / bc2), (float)gradCoef, (float)momCoef, eps);
            case OptimizerKind.Sgd:
                return new(0, 0, 0, (float)o.LearningRate, 0, 0, eps);
            case OptimizerKind.Momentum:
                return new(0, (float)o.Momentum, 0, (float)o.LearningRate, 0, 0, eps);
            case OptimizerKind.RmsProp:
                return new(0, (float)o.Rho, (float)(1 - o.Rho), (float)o.LearningRate, 0, 0, eps);
            default:
                throw new ArgumentOutOfRangeException(nameof(options), o.Kind, "Unknown optimiser.");
        }
    }
}
