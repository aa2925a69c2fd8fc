using Heads.Core.Synthetic;

namespace Heads.Benchmarks;

/// <summary>Synthetic head source: generating a head mesh and photographing it.</summary>
public sealed class SyntheticBenchmarks : IBenchmarkSuite
{
    public string Name => "synthetic";

    public void Run(BenchmarkReport report)
    {
        var generator = new HeadGenerator();
        var coarse = new HeadGenerator(36);
        ulong seed = 1;
        double coarseS = BenchmarkReport.Time(() => coarse.Generate(seed++), minSeconds: 1.0);
        double headS = BenchmarkReport.Time(() => generator.Generate(seed++), minSeconds: 2.0);
        report.Figure($"generate head ({generator.TriangleCount:N0} triangles)", headS * 1e3, "ms", coarseS * 1e3, $"{coarse.TriangleCount:N0} triangles");

        var mesh = generator.Generate(7);
        var photo = new RenderSettings();
        byte[] pixels = [];
        double renderS = BenchmarkReport.Time(() => pixels = HeadRenderer.RenderPixels(mesh, photo), minSeconds: 1.0);
        double encodeS = BenchmarkReport.Time(() =>
        {
            using var image = SixLabors.ImageSharp.Image.LoadPixelData<SixLabors.ImageSharp.PixelFormats.Rgb24>(pixels, photo.Width, photo.Height);
            using var stream = new MemoryStream();
            SixLabors.ImageSharp.ImageExtensions.SaveAsJpeg(image, stream);
        }, minSeconds: 0.5);
        report.Figure($"render 256x256 photo ({mesh.TriangleCount:N0} triangles)", renderS * 1e3, "ms", encodeS * 1e3, "JPEG encode of it");
        double jpegS = BenchmarkReport.Time(() => HeadRenderer.RenderJpeg(mesh, photo.Jittered(3)), minSeconds: 1.0);
        report.Figure("render + JPEG, jittered pose and light", jpegS * 1e3, "ms", renderS * 1e3, "render alone");
        double smoothS = BenchmarkReport.Time(() => HeadRenderer.RenderPixels(mesh, photo with { Supersampling = 2 }), minSeconds: 1.0);
        report.Figure("render 256x256 with 2x2 supersampling", smoothS * 1e3, "ms", renderS * 1e3, "1 sample");
        report.Note($"{Environment.ProcessorCount} cores; generation runs rays in parallel, rendering on one thread.");
    }
}
