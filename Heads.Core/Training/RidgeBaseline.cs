using Heads.Core.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>
/// Linear ridge regression from the 1024 pixels (scaled /255) to the 32768 voxels, closed form: centred X and Y,
/// W = (XᵀX + λI)⁻¹ XᵀY solved with torch.linalg in float64; the intercept is the mean volume.
/// </summary>
public sealed class RidgeBaseline : IVolumePredictor, IDisposable
{
    public const double DefaultLambda = 1.0;

    /// <summary>The λ values cross-validation chooses from (pixels scaled to [0, 1], so XᵀX has entries up to N).</summary>
    public static IReadOnlyList<double> LambdaGrid { get; } = [0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000];

    private readonly Tensor weights;   // [1024, 32768]
    private readonly Tensor faceMean;  // [1024]
    private readonly Tensor volumeMean; // [32768]

    public RidgeBaseline(FaceNetTrainingSet train, double lambda = DefaultLambda)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (!(lambda >= 0) || !double.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must be a finite number ≥ 0.");
        Lambda = lambda;
        using var scope = NewDisposeScope();
        var (xc, yc, mx, my) = Centred(train);
        var a = xc.t().mm(xc).add_(eye(FaceNetTrainingSet.FacePixels, dtype: ScalarType.Float64).mul_(lambda));
        var b = xc.t().to(ScalarType.Float32).mm(yc).to(ScalarType.Float64);
        weights = linalg.solve(a, b).to(ScalarType.Float32).MoveToOuterDisposeScope();
        faceMean = mx.MoveToOuterDisposeScope();
        volumeMean = my.MoveToOuterDisposeScope();
    }

    public double Lambda { get; }

    /// <summary>
    /// The λ of <see cref="LambdaGrid"/> with the lowest mean squared voxel error over <paramref name="folds"/>-fold cross-validation
    /// on <paramref name="train"/>. Each fold is one SVD of its centred faces, after which every λ costs one small product:
    /// prediction = X_val V diag(s / (s² + λ)) Uᵀ Y.
    /// </summary>
    public static double CrossValidatedLambda(FaceNetTrainingSet train, int folds = 5, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        if (train.Count < folds * 2) return DefaultLambda;
        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(seed).Shuffle(order);
        var errors = new double[LambdaGrid.Count];
        for (int f = 0; f < folds; f++)
        {
            var validation = order.Where((_, i) => i % folds == f).Order().ToArray();
            var fit = order.Where((_, i) => i % folds != f).Order().ToArray();
            var a = train.Select(fit);
            var b = train.Select(validation);
            using var scope = NewDisposeScope();
            var (xc, yc, mx, my) = Centred(a);
            var (u, s, vh) = linalg.svd(xc, fullMatrices: false);
            var uy = u.t().to(ScalarType.Float32).mm(yc);                     // [r, 32768]
            var xv = (VolumePostProcessing.Scale(b.Faces, FaceNetTrainingSet.FacePixels) - mx).to(ScalarType.Float64).mm(vh.t()); // [nv, r]
            var yv = VolumePostProcessing.Scale(b.Volumes, FaceNetTrainingSet.VolumeVoxels) - my;
            var s2 = s.square();
            for (int k = 0; k < LambdaGrid.Count; k++)
            {
                using var inner = NewDisposeScope();
                using Scalar lambda = LambdaGrid[k];
                var shrink = s / (s2 + lambda);
                var prediction = (xv * shrink).to(ScalarType.Float32).mm(uy);
                errors[k] += (prediction - yv).square().sum().item<float>();
            }
        }
        int best = 0;
        for (int k = 1; k < errors.Length; k++)
            if (errors[k] < errors[best]) best = k;
        return LambdaGrid[best];
    }

    /// <summary>Scaled faces centred (float64) and volumes centred (float32), with the two means.</summary>
    private static (Tensor Faces, Tensor Volumes, Tensor FaceMean, Tensor VolumeMean) Centred(FaceNetTrainingSet set)
    {
        var x = VolumePostProcessing.Scale(set.Faces, FaceNetTrainingSet.FacePixels);
        var y = VolumePostProcessing.Scale(set.Volumes, FaceNetTrainingSet.VolumeVoxels);
        var mx = x.mean([0]);
        var my = y.mean([0]);
        return ((x - mx).to(ScalarType.Float64), y.sub_(my), mx, my);
    }

    public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
    {
        using var scope = NewDisposeScope();
        var x = VolumePostProcessing.Scale(faces, FaceNetTrainingSet.FacePixels);
        return VolumePostProcessing.ToByteArray((x - faceMean).mm(weights).add_(volumeMean));
    }

    public void Dispose()
    {
        weights.Dispose();
        faceMean.Dispose();
        volumeMean.Dispose();
    }
}
