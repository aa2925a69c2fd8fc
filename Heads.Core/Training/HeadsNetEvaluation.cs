using Heads.Core.Models;

namespace Heads.Core.Training;

/// <summary>
/// Judges a HeadsNet on its training heads (<see cref="HeadsNetQualityReport"/>): each head generated from its seed
/// against the head's points, and each seed halfway between two neighbouring training seeds against the nearer head.
/// </summary>
public static class HeadsNetEvaluation
{
    /// <summary>Generated points per head: dense enough that the sampling itself adds ~0.005 to Chamfer, fast to compare.</summary>
    public const int DefaultGeneratedPoints = 8192;
    /// <summary>True points compared per head at most: all of a synthetic head's ~31k; larger heads are thinned evenly.</summary>
    public const int DefaultReferencePoints = 65_536;
    /// <summary>Heads (and mid-seeds) evaluated at most; a larger set is sampled evenly over its sorted seeds.</summary>
    public const int DefaultMaxHeads = 40;

    public static HeadsNetQualityReport Evaluate(HeadsNetModel model, HeadsNetTrainingSet train, int generatedPoints = DefaultGeneratedPoints,
        int referencePoints = DefaultReferencePoints, int maxHeads = DefaultMaxHeads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentOutOfRangeException.ThrowIfLessThan(generatedPoints, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(referencePoints, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeads, 1);
        var heads = HeadsOf(train);
        if (heads.Count == 0) throw new ArgumentException("The training set has no heads to evaluate.", nameof(train));
        var seeds = heads.Keys.Order().ToArray();

        var perHead = new List<HeadsNetHeadQuality>();
        foreach (int i in EvenSample(seeds.Length, maxHeads))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reference = Reference(train, heads[seeds[i]], referencePoints);
            var generated = model.Sample(seeds[i], generatedPoints);
            var m = Compare(generated, reference);
            perHead.Add(new HeadsNetHeadQuality { Seed = seeds[i], Chamfer = m.Chamfer, Coverage = m.Coverage, ColorMae = m.ColorMae });
        }

        var midSeeds = new List<HeadsNetMidSeedQuality>();
        foreach (int j in EvenSample(seeds.Length - 1, maxHeads))
        {
            cancellationToken.ThrowIfCancellationRequested();
            float lower = seeds[j], upper = seeds[j + 1], mid = (float)((lower + (double)upper) / 2);
            var generated = model.Sample(mid, generatedPoints);
            double chamfer = Math.Min(Compare(generated, Reference(train, heads[lower], referencePoints)).Chamfer,
                Compare(generated, Reference(train, heads[upper], referencePoints)).Chamfer);
            midSeeds.Add(new HeadsNetMidSeedQuality { Seed = mid, Lower = lower, Upper = upper, Chamfer = chamfer });
        }
        return Report(seeds.Length, generatedPoints, referencePoints, perHead, midSeeds);
    }

    /// <summary>The report of measured heads and mid-seeds: medians, the bar and, when missed, why.</summary>
    public static HeadsNetQualityReport Report(int trainingHeads, int generatedPoints, int referencePoints,
        IReadOnlyList<HeadsNetHeadQuality> heads, IReadOnlyList<HeadsNetMidSeedQuality> midSeeds)
    {
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(midSeeds);
        if (heads.Count == 0) throw new ArgumentException("A report needs at least one head.", nameof(heads));
        double chamfer = Median(heads.Select(h => h.Chamfer)), coverage = Median(heads.Select(h => h.Coverage));
        double? midChamfer = midSeeds.Count > 0 ? Median(midSeeds.Select(m => m.Chamfer)) : null;
        var misses = new List<string>();
        if (!(chamfer <= HeadsNetQualityReport.MaxMedianChamfer))
            misses.Add($"median Chamfer {chamfer:F4} > {HeadsNetQualityReport.MaxMedianChamfer}");
        if (!(coverage >= HeadsNetQualityReport.MinMedianCoverage))
            misses.Add($"median coverage {coverage:P1} < {HeadsNetQualityReport.MinMedianCoverage:P0} (true points with a generated one within {HeadsNetQualityReport.CoverageRadius})");
        if (midChamfer is double mc && !(mc <= HeadsNetQualityReport.MaxMedianMidSeedChamfer))
            misses.Add($"median mid-seed Chamfer {mc:F4} > {HeadsNetQualityReport.MaxMedianMidSeedChamfer} (a seed between two heads draws no head)");
        return new HeadsNetQualityReport
        {
            TrainingHeads = trainingHeads,
            GeneratedPoints = generatedPoints,
            ReferencePoints = referencePoints,
            MedianChamfer = chamfer,
            MedianCoverage = coverage,
            MedianColorMae = Median(heads.Select(h => h.ColorMae)),
            MedianMidSeedChamfer = midChamfer,
            MaxMidSeedChamfer = midSeeds.Count > 0 ? midSeeds.Max(m => m.Chamfer) : null,
            MeetsBar = misses.Count == 0,
            Reason = misses.Count == 0 ? null : "Below the HeadsNet bar: " + string.Join("; ", misses) + ".",
            Heads = heads,
            MidSeeds = midSeeds,
        };
    }

    /// <summary>A true head: positions and colours (0..1), and its largest bounding-box extent, the unit of distance.</summary>
    public sealed record ReferenceHead(float[] Positions, float[] Colors, double Extent);

    /// <summary>Chamfer, coverage and colour error of one generated head against one true head.</summary>
    public readonly record struct CloudMatch(double Chamfer, double Coverage, double ColorMae);

    /// <summary>
    /// Compares <paramref name="generated"/> with <paramref name="reference"/>: distances over the reference's extent;
    /// each generated point's colour against its nearest true point's.
    /// </summary>
    public static CloudMatch Compare(HeadPointCloud generated, ReferenceHead reference)
    {
        ArgumentNullException.ThrowIfNull(generated);
        ArgumentNullException.ThrowIfNull(reference);
        if (generated.Count == 0 || reference.Positions.Length == 0 || reference.Positions.Length % 3 != 0 || reference.Colors.Length != reference.Positions.Length)
            throw new ArgumentException("Both clouds need at least one point, with one colour per point.");
        if (!(reference.Extent > 0 && double.IsFinite(reference.Extent)))
            throw new ArgumentOutOfRangeException(nameof(reference), reference.Extent, "The reference head's extent must be a positive number.");
        int g = generated.Count, r = reference.Positions.Length / 3;
        // Exact nearest neighbours from uniform grids: a full distance matrix per head (torch.cdist) cost ~1 s of a core.
        var toReference = new PointGrid(reference.Positions);
        var toGenerated = new PointGrid(generated.Positions);
        var gp = generated.Positions;
        double genSum = 0, colorSum = 0;
        for (int i = 0; i < g; i++)
        {
            var (nearest, squared) = toReference.Nearest(gp[i * 3], gp[i * 3 + 1], gp[i * 3 + 2]);
            genSum += Math.Sqrt(squared);
            for (int c = 0; c < 3; c++) colorSum += Math.Abs(generated.Colors[i * 3 + c] - reference.Colors[nearest * 3 + c] * 255.0);
        }
        var rp = reference.Positions;
        double refSum = 0, radius = HeadsNetQualityReport.CoverageRadius * reference.Extent;
        int covered = 0;
        for (int i = 0; i < r; i++)
        {
            double d = Math.Sqrt(toGenerated.Nearest(rp[i * 3], rp[i * 3 + 1], rp[i * 3 + 2]).SquaredDistance);
            refSum += d;
            if (d <= radius) covered++;
        }
        return new CloudMatch((genSum / g + refSum / r) / reference.Extent / 2, (double)covered / r, colorSum / (3.0 * g));
    }

    /// <summary>The rows of each head, by seed (rows of one head need not be contiguous).</summary>
    public static Dictionary<float, List<int>> HeadsOf(HeadsNetTrainingSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var heads = new Dictionary<float, List<int>>();
        for (int row = 0; row < set.Count; row++)
        {
            float seed = set.Inputs[row * 2];
            if (!heads.TryGetValue(seed, out var rows)) heads[seed] = rows = [];
            rows.Add(row);
        }
        return heads;
    }

    /// <summary>A head's true points, evenly thinned to at most <paramref name="maxPoints"/>; its extent from all of them.</summary>
    public static ReferenceHead Reference(HeadsNetTrainingSet set, IReadOnlyList<int> rows, int maxPoints)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(rows);
        var t = set.Targets;
        Span<double> min = [double.MaxValue, double.MaxValue, double.MaxValue], max = [double.MinValue, double.MinValue, double.MinValue];
        foreach (int row in rows)
            for (int c = 0; c < 3; c++)
            {
                min[c] = Math.Min(min[c], t[row * 6 + c]);
                max[c] = Math.Max(max[c], t[row * 6 + c]);
            }
        double extent = Math.Max(max[0] - min[0], Math.Max(max[1] - min[1], max[2] - min[2]));
        int n = Math.Min(rows.Count, maxPoints);
        var positions = new float[n * 3];
        var colors = new float[n * 3];
        for (int i = 0; i < n; i++)
        {
            int row = rows[(int)((long)i * rows.Count / n)];
            t.AsSpan(row * 6, 3).CopyTo(positions.AsSpan(i * 3, 3));
            t.AsSpan(row * 6 + 3, 3).CopyTo(colors.AsSpan(i * 3, 3));
        }
        // A degenerate head (one point) still has a unit: the comparison is then in dataset units.
        return new ReferenceHead(positions, colors, extent > 0 ? extent : 1);
    }

    private static IEnumerable<int> EvenSample(int count, int max)
    {
        int n = Math.Min(count, max);
        for (int i = 0; i < n; i++) yield return (int)((long)i * count / n);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }
}
