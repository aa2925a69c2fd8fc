using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>The training loss of the face models (targets are voxel values / 255; empty voxels are exactly 0).</summary>
public enum VolumeLoss
{
    /// <summary>Mean squared error, as every original FaceNet.</summary>
    Mse,

    /// <summary>
    /// Squared error on occupied voxels, and on empty ones only where the prediction is above 0. Post-processing clips
    /// anything below 0.003 to empty, so a prediction below zero there is as right as zero; plain MSE instead pulls
    /// every empty voxel towards exactly 0 and leaves a haze of faint values that IoU counts as occupied.
    /// </summary>
    EmptyAware,

    /// <summary>
    /// <see cref="EmptyAware"/> with the absolute instead of the squared residual: where a shell's position is uncertain the
    /// squared loss predicts a blur of half values around it; the absolute one predicts the likelier of full and empty,
    /// which is what the grayscale MAE rewards.
    /// </summary>
    EmptyAwareAbsolute,
}

public static class VolumeLosses
{
    /// <summary>The element-wise residual whose square is the loss: prediction − target, or max(prediction, 0) where the target is empty.</summary>
    public static Tensor Residual(this VolumeLoss loss, Tensor prediction, Tensor target)
    {
        var difference = prediction - target;
        if (loss == VolumeLoss.Mse) return difference;
        if (loss is not (VolumeLoss.EmptyAware or VolumeLoss.EmptyAwareAbsolute)) throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown volume loss.");
        using Scalar zero = 0f;
        return where(target.gt(zero), difference, prediction.clamp_min(zero));
    }

    /// <summary>The per-element penalty of a residual: its square, or its absolute value for <see cref="VolumeLoss.EmptyAwareAbsolute"/>.</summary>
    public static Tensor Penalty(this VolumeLoss loss, Tensor residual) => loss == VolumeLoss.EmptyAwareAbsolute ? residual.abs() : residual.square();

    /// <summary>The mean penalty over every element.</summary>
    public static Tensor Mean(this VolumeLoss loss, Tensor prediction, Tensor target) => loss.Penalty(loss.Residual(prediction, target)).mean();

    /// <summary>Parses "mse", "empty-aware", "EmptyAware" (any case, '-' and '_' ignored).</summary>
    public static bool TryParse(string? text, out VolumeLoss loss)
    {
        loss = VolumeLoss.Mse;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var name = text.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Trim();
        return !int.TryParse(name, out _) && Enum.TryParse(name, ignoreCase: true, out loss) && Enum.IsDefined(loss);
    }
}
