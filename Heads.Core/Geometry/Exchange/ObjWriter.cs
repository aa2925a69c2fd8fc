using System.Globalization;
using System.Text;

namespace Heads.Core.Geometry.Exchange;

/// <summary>
/// Wavefront OBJ: <c>v x y z r g b</c> (the common vertex-colour extension, colours 0..1, which assimp, Open3D, Blender and
/// MeshLab read), <c>vn</c> normals when the mesh has them, and 1-based triangles <c>f a//a b//b c//c</c>.
/// </summary>
public static class ObjWriter
{
    public const string MediaType = "model/obj";

    public static void Write(Stream stream, HeadMesh mesh, string comment)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(mesh);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (var line in comment.Split('\n')) writer.WriteLine("# " + line);
        var p = mesh.Positions;
        var c = mesh.Colors;
        var n = mesh.Normals;
        var culture = CultureInfo.InvariantCulture;
        for (int i = 0; i < p.Length; i += 3)
            writer.WriteLine(string.Create(culture, $"v {p[i]:R} {p[i + 1]:R} {p[i + 2]:R} {c[i] / 255f:0.####} {c[i + 1] / 255f:0.####} {c[i + 2] / 255f:0.####}"));
        bool normals = n is { Length: > 0 };
        if (normals)
            for (int i = 0; i < n!.Length; i += 3)
                writer.WriteLine(string.Create(culture, $"vn {n[i]:R} {n[i + 1]:R} {n[i + 2]:R}"));
        var t = mesh.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = t[i] + 1, b = t[i + 1] + 1, d = t[i + 2] + 1;
            writer.WriteLine(normals ? string.Create(culture, $"f {a}//{a} {b}//{b} {d}//{d}") : string.Create(culture, $"f {a} {b} {d}"));
        }
    }
}
