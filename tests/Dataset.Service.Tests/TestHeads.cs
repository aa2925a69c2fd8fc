using System.Collections.Concurrent;
using Heads.Core.Geometry.Ply;
using Heads.Core.Synthetic;

namespace Dataset.Service.Tests;

/// <summary>Small synthetic heads (mesh as binary PLY, photo as JPEG), generated once per seed and reused under many ids.</summary>
public static class TestHeads
{
    public const int Resolution = 16;
    private static readonly HeadGenerator Generator = new(Resolution);
    private static readonly ConcurrentDictionary<ulong, (byte[] Ply, byte[] Jpeg, int Vertices)> Cache = new();

    public static (byte[] Ply, byte[] Jpeg, int Vertices) Get(ulong seed) => Cache.GetOrAdd(seed, s =>
    {
        var mesh = Generator.Generate(s);
        using var ply = new MemoryStream();
        PlyWriter.Write(ply, mesh);
        var jpeg = HeadRenderer.RenderJpeg(mesh, new RenderSettings { Width = 64, Height = 64 });
        return (ply.ToArray(), jpeg, mesh.VertexCount);
    });

    /// <summary>A PLY whose header promises more vertices than the body holds.</summary>
    public static byte[] TruncatedPly()
    {
        var good = Get(1).Ply;
        return good[..(good.Length / 3)];
    }
}
