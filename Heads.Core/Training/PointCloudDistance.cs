using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Distances between point clouds, for judging generated HeadsNet heads against their training heads.</summary>
public static class PointCloudDistance
{
    private const int Chunk = 2048;

    /// <summary>
    /// Symmetric Chamfer distance: the mean Euclidean distance from each point of <paramref name="a"/> to its nearest point
    /// of <paramref name="b"/>, plus the same from <paramref name="b"/> to <paramref name="a"/>. Inputs are x, y, z triples.
    /// </summary>
    public static double Chamfer(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length == 0 || a.Length % 3 != 0) throw new ArgumentException($"Cloud a must hold a positive number of x, y, z triples; got {a.Length} floats.", nameof(a));
        if (b.Length == 0 || b.Length % 3 != 0) throw new ArgumentException($"Cloud b must hold a positive number of x, y, z triples; got {b.Length} floats.", nameof(b));
        using var scope = NewDisposeScope();
        var ta = tensor(a.ToArray(), [a.Length / 3, 3]).to(ScalarType.Float64);
        var tb = tensor(b.ToArray(), [b.Length / 3, 3]).to(ScalarType.Float64);
        return MeanNearest(ta, tb) + MeanNearest(tb, ta);
    }

    private static double MeanNearest(Tensor from, Tensor to)
    {
        double sum = 0;
        long n = from.shape[0];
        for (long start = 0; start < n; start += Chunk)
        {
            using var scope = NewDisposeScope();
            var part = from.narrow(0, start, Math.Min(Chunk, n - start));
            sum += cdist(part, to).min(1).values.sum().item<double>();
        }
        return sum / n;
    }
}
