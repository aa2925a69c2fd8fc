using Heads.Core.Geometry;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>How a HeadsNet turns (head seed, sphere coordinate) into the network's inputs.</summary>
public enum HeadsNetEncodingKind
{
    /// <summary>The original's two raw inputs (seed, icosphere index / 10242); a head is sampled as (seed, i / N).</summary>
    Original,

    /// <summary>
    /// Fourier features of the seed beside the icosphere vertex's unit direction and its positional encoding. A fixed seed
    /// then maps the sphere onto the head's surface, instead of a 1-D curve through it; a head is sampled at N directions
    /// spread evenly over the sphere (a Fibonacci sphere).
    /// </summary>
    SphereFourier,
}

/// <summary>
/// The input encoding of a HeadsNet. The dataset format is the same for every kind: rows (seed, icosphere index / 10242);
/// <see cref="HeadsNetEncodingKind.SphereFourier"/> recovers the vertex as round(coordinate · 10242) and takes its
/// direction from <see cref="Icosphere.HeadsNet"/>.
/// </summary>
/// <remarks>
/// SphereFourier features of a row, in order: the direction d (3); for k = 0..<see cref="DirectionOctaves"/>−1,
/// sin(2^k·π·d) (3) then cos(2^k·π·d) (3); for k = 0..<see cref="SeedOctaves"/>−1, sin(2π·2^k·s) then cos(2π·2^k·s).
/// Seeds are hashes (<see cref="Datasets.HeadSeed"/>), so neighbouring training seeds can be ~1/heads² apart: the
/// highest seed octave must separate them, while the low ones keep a seed between two heads close to both (a morph).
/// </remarks>
public sealed record HeadsNetEncoding
{
    public const int MaxDirectionOctaves = 12;
    public const int MaxSeedOctaves = 20;
    private const int FeatureBlockRows = 65_536;

    /// <summary>The original two inputs, for faithful reproduction.</summary>
    public static HeadsNetEncoding Original { get; } = new() { Kind = HeadsNetEncodingKind.Original };

    /// <summary>The default for new models.</summary>
    public static HeadsNetEncoding SphereFourier { get; } = new() { Kind = HeadsNetEncodingKind.SphereFourier };

    /// <summary>Encoding names a request may give, case-insensitive.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetNames<HeadsNetEncodingKind>();

    public required HeadsNetEncodingKind Kind { get; init; }

    /// <summary>SphereFourier: octaves of the direction's positional encoding.</summary>
    public int DirectionOctaves { get; init; } = 5;

    /// <summary>
    /// SphereFourier: octaves of the seed's Fourier features (frequencies 1, 2, 4, … cycles over [0, 1)). Chosen on the
    /// pipeline's 34 training heads (closest seeds 0.0003 apart), 10 epochs: 6 octaves drew the heads worse (median
    /// Chamfer 0.0102, coverage 89.6 %), 10 no better than 8 (0.0100, 91.2 % vs 0.0101, 90.7 %) but morphed worse
    /// (mid-seed Chamfer median 0.020, max 0.069 vs 0.018, 0.033).
    /// </summary>
    public int SeedOctaves { get; init; } = 8;

    /// <summary>Network inputs per row.</summary>
    public int Width => Kind == HeadsNetEncodingKind.Original ? HeadsNetRow.Inputs : 3 + 6 * DirectionOctaves + 2 * SeedOctaves;

    /// <summary>The named encoding with its default parameters; throws <see cref="ArgumentException"/> listing the names.</summary>
    public static HeadsNetEncoding Named(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (int.TryParse(name, out _) || !Enum.TryParse<HeadsNetEncodingKind>(name.Trim(), ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            throw new ArgumentException($"Unknown HeadsNet encoding '{name}'; use one of {string.Join(", ", Names)}.", nameof(name));
        return kind == HeadsNetEncodingKind.Original ? Original : SphereFourier;
    }

    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Unknown HeadsNet encoding; use one of {string.Join(", ", Names)}.");
        if (Kind == HeadsNetEncodingKind.Original) return;
        if (DirectionOctaves is < 0 or > MaxDirectionOctaves)
            throw new ArgumentOutOfRangeException(nameof(DirectionOctaves), DirectionOctaves, $"Direction octaves must be 0..{MaxDirectionOctaves}.");
        if (SeedOctaves is < 1 or > MaxSeedOctaves)
            throw new ArgumentOutOfRangeException(nameof(SeedOctaves), SeedOctaves, $"Seed octaves must be 1..{MaxSeedOctaves}.");
    }

    /// <summary>
    /// Network inputs [rows, <see cref="Width"/>] of dataset rows (seed, sphere coordinate), interleaved in
    /// <paramref name="rows"/>. The tensor belongs to the caller's dispose scope.
    /// </summary>
    public Tensor Features(ReadOnlySpan<float> rows)
    {
        if (rows.Length % HeadsNetRow.Inputs != 0) throw new ArgumentException($"Rows must be N × {HeadsNetRow.Inputs} floats; got {rows.Length}.", nameof(rows));
        int n = rows.Length / HeadsNetRow.Inputs;
        // As the original trainer did: the rows themselves are the inputs.
        if (Kind == HeadsNetEncodingKind.Original) return tensor(rows.ToArray(), [n, HeadsNetRow.Inputs]);
        var sphere = Icosphere.HeadsNet.Positions;
        int vertices = Icosphere.HeadsNet.VertexCount;
        var blocks = new List<Tensor>(n / FeatureBlockRows + 1);
        using var scope = NewDisposeScope();
        // In blocks: the float64 angles of a million rows at once would be a transient gigabyte.
        for (int start = 0; start < n || blocks.Count == 0; start += FeatureBlockRows)
        {
            int count = Math.Min(FeatureBlockRows, n - start);
            var seeds = new float[count];
            var directions = new float[count * 3];
            for (int k = 0; k < count; k++)
            {
                int r = start + k;
                float seed = rows[r * 2], coordinate = rows[r * 2 + 1];
                if (!float.IsFinite(seed)) throw new ArgumentOutOfRangeException(nameof(rows), seed, $"Row {r}: the head seed must be a finite number.");
                if (!(coordinate >= 0 && coordinate < 1)) throw new ArgumentOutOfRangeException(nameof(rows), coordinate, $"Row {r}: the sphere coordinate must be in [0, 1).");
                // Coordinates are index / 10242 in float32; rounding recovers the index (i / P data of other sizes lands on some vertex).
                int vertex = Math.Min((int)MathF.Round(coordinate * vertices), vertices - 1);
                seeds[k] = seed;
                sphere.AsSpan(vertex * 3, 3).CopyTo(directions.AsSpan(k * 3, 3));
            }
            using var block = NewDisposeScope();
            blocks.Add(Features(tensor(seeds, [count]), tensor(directions, [count, 3])).MoveToOuterDisposeScope());
        }
        return (blocks.Count == 1 ? blocks[0].alias() : cat(blocks, 0)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Network inputs for points [<paramref name="start"/>, start + rows) of a <paramref name="count"/>-point head of
    /// <paramref name="seed"/>: Original (seed, i / count), exactly the original's; SphereFourier the i-th of count
    /// Fibonacci-sphere directions. The tensor belongs to the caller's dispose scope.
    /// </summary>
    public Tensor SamplingFeatures(float seed, int start, int rows, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 0);
        if ((long)start + rows > count) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Points {start}..{(long)start + rows} exceed the head's {count}.");
        if (!float.IsFinite(seed)) throw new ArgumentOutOfRangeException(nameof(seed), seed, "A head seed must be a finite number.");
        using Scalar headSeed = seed, pointCount = count, first = start, end = start + rows;
        if (Kind == HeadsNetEncodingKind.Original)
        {
            var index = arange(first, end, ScalarType.Float32).div_(pointCount);
            return stack([full(rows, headSeed, ScalarType.Float32), index], 1);
        }
        using var scope = NewDisposeScope();
        using Scalar one = 1.0, two = 2.0, half = 0.5, goldenAngle = Math.PI * (3 - Math.Sqrt(5));
        // In float64: i · golden angle loses the angle's fraction in float32 beyond a few thousand points.
        var i = arange(first, end, ScalarType.Float64);
        var z = one - i.add(half).mul(two).div(pointCount);
        var radius = (one - z.square()).clamp_min_(0.0).sqrt_();
        var phi = i.mul(goldenAngle);
        var directions = stack([radius * phi.cos(), radius * phi.sin(), z], 1).to(ScalarType.Float32);
        return Features(full(rows, headSeed, ScalarType.Float32), directions).MoveToOuterDisposeScope();
    }

    /// <summary>SphereFourier features of seeds [n] and unit directions [n, 3], float32.</summary>
    private Tensor Features(Tensor seeds, Tensor directions)
    {
        var parts = new List<Tensor>(2 + 2 * (DirectionOctaves + SeedOctaves)) { directions };
        // Angles in float64: 2^k · 2π · s must keep the seed's 24 bits at the highest octave.
        var d = directions.to(ScalarType.Float64);
        for (int k = 0; k < DirectionOctaves; k++)
        {
            using Scalar frequency = Math.ScaleB(Math.PI, k);
            var angle = d.mul(frequency);
            parts.Add(angle.sin().to(ScalarType.Float32));
            parts.Add(angle.cos().to(ScalarType.Float32));
        }
        var s = seeds.to(ScalarType.Float64).unsqueeze(1);
        for (int k = 0; k < SeedOctaves; k++)
        {
            using Scalar frequency = Math.ScaleB(2 * Math.PI, k);
            var angle = s.mul(frequency);
            parts.Add(angle.sin().to(ScalarType.Float32));
            parts.Add(angle.cos().to(ScalarType.Float32));
        }
        return cat(parts, 1);
    }
}
