using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;

namespace Scraper.Service.Sources;

/// <summary>Reconstruction services answer PLY (any encoding) or OBJ; storage keeps one binary little-endian PLY.</summary>
public static class MeshFormats
{
    public static byte[] ToBinaryPly(byte[] mesh)
    {
        HeadMesh parsed;
        try
        {
            using var input = new MemoryStream(mesh, writable: false);
            parsed = mesh.AsSpan().StartsWith("ply"u8) ? PlyReader.ReadHeadMesh(input) : ObjReader.Read(input);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or ArgumentException)
        {
            throw new HeadSourceException("The reconstruction is not a readable PLY or OBJ mesh: " + ex.Message, ex);
        }
        using var output = new MemoryStream();
        PlyWriter.Write(output, parsed);
        return output.ToArray();
    }
}
