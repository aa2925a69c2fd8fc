using System.Diagnostics;
using Heads.Core.Synthetic;

namespace Heads.Synthetic.Tests;

public class GalleryTests
{
    [Fact]
    public void Gallery_writes_a_png_of_the_requested_grid()
    {
        var path = Path.Combine(Path.GetTempPath(), $"heads-gallery-{Guid.NewGuid():N}.png");
        try
        {
            HeadGallery.WriteFronts(path, [1, 2], columns: 2, tile: 64, generator: new HeadGenerator(24));
            using var image = SixLabors.ImageSharp.Image.Load(path);
            Assert.Equal(128, image.Width);
            Assert.Equal(64, image.Height);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes docs/gallery.png (seeds 1..16, front) and docs/gallery-side.png (several angles).</summary>
    [Fact(Explicit = true)]
    public void Write_docs_gallery()
    {
        var docs = Path.Combine(RepositoryRoot(), "docs");
        Directory.CreateDirectory(docs);
        var sw = Stopwatch.StartNew();
        HeadGallery.WriteFronts(Path.Combine(docs, "gallery.png"), [.. Enumerable.Range(1, 16).Select(i => (ulong)i)]);
        HeadGallery.WriteAngles(Path.Combine(docs, "gallery-side.png"), [1, 2, 3, 4], [0f, 35f, 90f, 180f]);
        TestContext.Current.SendDiagnosticMessage($"gallery written in {sw.ElapsedMilliseconds} ms");
        for (ulong s = 1; s <= 16; s++) TestContext.Current.SendDiagnosticMessage(HeadTraits.FromSeed(s).Describe());
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Heads.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Heads.sln not found above " + AppContext.BaseDirectory);
    }
}
