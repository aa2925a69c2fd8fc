namespace Heads.Core.Training;

/// <summary>The optimisers the original scripts offered. Update rules follow PyTorch's formulas (tests compare with torch.optim).</summary>
public enum OptimizerKind
{
    Adam,
    Adamax,
    Nadam,
    /// <summary>Plain stochastic gradient descent.</summary>
    Sgd,
    /// <summary>SGD with (non-Nesterov) momentum; the same update as Keras' SGD(momentum=…).</summary>
    Momentum,
    RmsProp,
}

/// <summary>Optimiser hyper-parameters. Defaults are Keras': Adam, learning rate 1e-3, β 0.9/0.999, ε 1e-7.</summary>
public sealed record OptimizerOptions
{
    public OptimizerKind Kind { get; init; } = OptimizerKind.Adam;
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-7;
    /// <summary>Momentum coefficient for <see cref="OptimizerKind.Momentum"/>.</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Decay of the squared-gradient average for <see cref="OptimizerKind.RmsProp"/> (Keras' rho).</summary>
    public double Rho { get; init; } = 0.9;
    /// <summary>NAdam's momentum decay ψ (PyTorch's default 0.004).</summary>
    public double MomentumDecay { get; init; } = 0.004;

    /// <summary>How many per-parameter state tensors the optimiser keeps.</summary>
    public int StateCount => Kind switch
    {
        OptimizerKind.Adam or OptimizerKind.Adamax or OptimizerKind.Nadam => 2,
        OptimizerKind.Momentum or OptimizerKind.RmsProp => 1,
        OptimizerKind.Sgd => 0,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown optimiser."),
    };

    public void Validate()
    {
        _ = StateCount;
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive.");
        if (Beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "β1 must be in [0, 1).");
        if (Beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "β2 must be in [0, 1).");
        if (!(Epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "ε must not be negative.");
        if (Momentum is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be in [0, 1).");
        if (Rho is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Rho), Rho, "ρ must be in [0, 1).");
    }
}
