using System.Diagnostics;
using Heads.Core.Synthetic;

namespace Heads.Synthetic.Tests;

public class TimingTests
{
    /// <summary>Prints generation and render times; run in Release with -explicit only.</summary>
    [Fact(Explicit = true)]
    public void Report_generation_and_render_times()
    {
        var generator = new HeadGenerator();
        generator.Generate(0);
        var sw = Stopwatch.StartNew();
        const int heads = 10;
        Heads.Core.Geometry.HeadMesh mesh = null!;
        for (ulong s = 1; s <= heads; s++) mesh = generator.Generate(s);
        double genMs = sw.Elapsed.TotalMilliseconds / heads;

        var settings = new RenderSettings();
        HeadRenderer.RenderPixels(mesh, settings);
        sw.Restart();
        const int renders = 50;
        for (int i = 0; i < renders; i++) HeadRenderer.RenderPixels(mesh, settings);
        double renderMs = sw.Elapsed.TotalMilliseconds / renders;
        sw.Restart();
        for (int i = 0; i < renders; i++) HeadRenderer.RenderJpeg(mesh, settings);
        double jpegMs = sw.Elapsed.TotalMilliseconds / renders;
        TestContext.Current.SendDiagnosticMessage(
            $"generate {genMs:0.0} ms/head ({mesh.TriangleCount} triangles, {mesh.VertexCount} vertices); render 256² {renderMs:0.00} ms; render+JPEG {jpegMs:0.00} ms; threads {Environment.ProcessorCount}");
    }
}
