using System.Globalization;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Synthetic;
using Microsoft.Extensions.Options;

namespace Scraper.Service.Sources;

public sealed class SyntheticSourceOptions
{
    /// <summary>Photo size in pixels (square).</summary>
    public int PhotoSize { get; set; } = 256;
    /// <summary>Small seeded changes of light and pose between photos, as between real photographs.</summary>
    public bool Jitter { get; set; } = true;
    public float MaxYawDegrees { get; set; } = 4f;
    public float MaxPitchDegrees { get; set; } = 3f;
    public float MaxLightDegrees { get; set; } = 20f;
}

/// <summary>
/// The default source: a seeded procedural head and a frontal photograph of that same mesh. Head i of a request with
/// seed S is head S + i, id <c>syn-{S + i}</c>: the same seed always gives the same bytes, so repeats add nothing.
/// </summary>
public sealed class SyntheticHeadSource(IOptions<SyntheticSourceOptions> options) : IHeadSource
{
    private readonly HeadGenerator _generator = new();

    public string Name => "synthetic";

    public static string HeadIdFor(long seed) => "syn-" + seed.ToString(CultureInfo.InvariantCulture);

    public string? PredictHeadId(long seed, int index) => HeadIdFor(checked(seed + index));

    public Task<SourcedHead> ProduceAsync(long seed, int index, CancellationToken cancellationToken)
    {
        long headSeed = checked(seed + index);
        if (headSeed < 0) throw new ArgumentOutOfRangeException(nameof(seed), "Synthetic seeds are non-negative.");
        var o = options.Value;
        var mesh = _generator.Generate((ulong)headSeed);
        var settings = new RenderSettings { Width = o.PhotoSize, Height = o.PhotoSize, Supersampling = 2 };
        if (o.Jitter) settings = settings.Jittered((ulong)headSeed, o.MaxYawDegrees, o.MaxPitchDegrees, o.MaxLightDegrees);
        var photo = HeadRenderer.RenderJpeg(mesh, settings, quality: 92);
        using var ply = new MemoryStream();
        PlyWriter.Write(ply, mesh);
        return Task.FromResult(new SourcedHead(HeadIdFor(headSeed), headSeed, photo, "image/jpeg", ply.ToArray()));
    }
}
