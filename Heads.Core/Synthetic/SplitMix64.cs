namespace Heads.Core.Synthetic;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fixed-algorithm generator, so a seed means the same head
/// on every runtime (System.Random's algorithm is an implementation detail and may change).
/// </summary>
public struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed) => _state = seed;

    public ulong NextULong()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 bits, exact in float.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [min, max).</summary>
    public float Range(float min, float max) => min + (max - min) * NextFloat();

    /// <summary>Uniform integer in [0, count).</summary>
    public int NextInt(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "Count must be positive.");
        return (int)((NextULong() >> 33) % (ulong)count);
    }

    /// <summary>Approximately normal (Irwin–Hall sum of four uniforms, rescaled); bounded to ±3.46, which keeps traits plausible.</summary>
    public float Gaussian()
    {
        float s = NextFloat() + NextFloat() + NextFloat() + NextFloat();
        return (s - 2f) * 1.7320508f;
    }

    /// <summary>Mixes a seed with a stream number so independent uses of one seed do not share numbers.</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var g = new SplitMix64(seed ^ (stream * 0xD1B54A32D192ED03UL));
        return g.NextULong();
    }
}
