using System.Globalization;

namespace Heads.Core.Training;

/// <summary>A mean difference (model − baseline) and its 95% interval.</summary>
public sealed record ScoreDifference(double Mean, double Low, double High)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Mean:+0.000;-0.000} [{Low:+0.000;-0.000}, {High:+0.000;-0.000}]");
}

/// <summary>
/// Paired bootstrap over heads: resample the heads with replacement, take the mean of the per-head differences each time,
/// and read the 2.5th and 97.5th percentiles. Pairing removes the spread between heads that both predictors share, so a
/// consistent small lead shows as an interval that excludes zero.
/// </summary>
public static class PairedBootstrap
{
    public const int DefaultResamples = 4000;
    public const int DefaultSeed = 1;

    public static ScoreDifference Difference(IReadOnlyList<double> model, IReadOnlyList<double> baseline, int seed = DefaultSeed, int resamples = DefaultResamples)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(baseline);
        if (model.Count != baseline.Count) throw new ArgumentException($"{model.Count} model scores but {baseline.Count} baseline scores: a paired comparison needs the same heads.", nameof(baseline));
        if (model.Count == 0) throw new ArgumentException("No heads to compare.", nameof(model));
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 100);
        int n = model.Count;
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = model[i] - baseline[i];
        double mean = d.Average();
        if (n == 1) return new ScoreDifference(mean, mean, mean);
        var rng = new Random(seed);
        var means = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += d[rng.Next(n)];
            means[r] = sum / n;
        }
        Array.Sort(means);
        return new ScoreDifference(mean, Percentile(means, 0.025), Percentile(means, 0.975));
    }

    /// <summary>Linear interpolation between the order statistics of a sorted sample.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}
