using Heads.Core.Geometry;
using Heads.Core.Geometry.Exchange;
using Heads.Core.Geometry.Ply;

namespace Heads.Cli.Files;

/// <summary>Coloured meshes by extension: binary PLY, Wavefront OBJ (vertex colours, normals) or binary glTF (.glb).</summary>
public static class MeshFiles
{
    public static readonly string[] Extensions = [".ply", ".obj", ".glb"];

    public static bool IsMesh(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static void Write(string path, HeadMesh mesh, string comment)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        Action<Stream> write = extension switch
        {
            // PLY as the scraper stores meshes (default options), so a generated head is byte-identical to its syn-N.
            ".ply" => s => PlyWriter.Write(s, mesh),
            ".obj" => s => ObjWriter.Write(s, mesh, comment),
            ".glb" => s => GlbWriter.WriteMesh(s, mesh, comment),
            _ => throw new InputException($"cannot write a mesh as '{extension}' ({path}): use {string.Join(", ", Extensions)}."),
        };
        if (mesh.VertexCount == 0 && extension == ".glb") throw new InputException($"{path}: the surface is empty, and glTF has no empty meshes; lower the threshold.");
        Atomic.Write(path, write);
    }
}
