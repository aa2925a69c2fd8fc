using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Heads.Core.Geometry.Exchange;

/// <summary>
/// Binary glTF 2.0 (.glb) with one mesh of one primitive: triangles (POSITION, NORMAL when given, COLOR_0, uint32
/// indices) or points (mode 0: POSITION and COLOR_0), in the file's own coordinates (glTF's +Y up, metres; ours are the
/// head's normalised space). Colours are normalised unsigned bytes, as glTF allows for COLOR_0. Written by hand rather
/// than with SharpGLTF (served here as SharpGLTF.Core 1.0.7): one primitive is a JSON chunk and a binary chunk, and
/// the tests read every file back with two independent readers (assimp and Open3D).
/// </summary>
public static class GlbWriter
{
    public const string MediaType = "model/gltf-binary";

    private const int Float = 5126, UnsignedByte = 5121, UnsignedInt = 5125;
    private const int ArrayBuffer = 34962, ElementArrayBuffer = 34963;

    public static void WriteMesh(Stream stream, HeadMesh mesh, string generator)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        Write(stream, mesh.Positions, mesh.Colors, mesh.Normals, mesh.Triangles, generator);
    }

    public static void WritePoints(Stream stream, ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, string generator) =>
        Write(stream, positions, colors, default, null, generator);

    private static void Write(Stream stream, ReadOnlySpan<float> positions, ReadOnlySpan<byte> colors, ReadOnlySpan<float> normals, int[]? triangles, string generator)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (positions.Length % 3 != 0) throw new ArgumentException("Positions must hold x, y, z triples.", nameof(positions));
        if (colors.Length != positions.Length) throw new ArgumentException("Colours must hold one r, g, b triple per vertex.", nameof(colors));
        if (!normals.IsEmpty && normals.Length != positions.Length) throw new ArgumentException("Normals must hold one triple per vertex.", nameof(normals));
        int count = positions.Length / 3;
        if (count == 0) throw new ArgumentException("glTF has no empty accessors: there must be at least one vertex.", nameof(positions));

        // Binary chunk: positions, normals, colours (each view 4-byte aligned: colours padded to 4 bytes per vertex), indices.
        var views = new List<(int Offset, int Length, int Target, int? Stride)>();
        using var bin = new MemoryStream();
        int Append(ReadOnlySpan<byte> bytes, int target, int? stride)
        {
            int offset = (int)bin.Length;
            bin.Write(bytes);
            while (bin.Length % 4 != 0) bin.WriteByte(0);
            views.Add((offset, bytes.Length, target, stride));
            return views.Count - 1;
        }
        var (min, max) = Bounds(positions);
        int positionView = Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(positions), ArrayBuffer, null);
        int? normalView = normals.IsEmpty ? null : Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(normals), ArrayBuffer, null);
        var rgba = new byte[count * 4];
        for (int i = 0; i < count; i++)
        {
            rgba[i * 4] = colors[i * 3];
            rgba[i * 4 + 1] = colors[i * 3 + 1];
            rgba[i * 4 + 2] = colors[i * 3 + 2];
        }
        int colorView = Append(rgba, ArrayBuffer, 4);
        int? indexView = triangles is null ? null : Append(System.Runtime.InteropServices.MemoryMarshal.AsBytes(triangles.AsSpan()), ElementArrayBuffer, null);

        var accessors = new List<object>
        {
            new { bufferView = positionView, componentType = Float, count, type = "VEC3", min, max },
        };
        var attributes = new Dictionary<string, int> { ["POSITION"] = 0 };
        if (normalView is { } nv)
        {
            attributes["NORMAL"] = accessors.Count;
            accessors.Add(new { bufferView = nv, componentType = Float, count, type = "VEC3" });
        }
        attributes["COLOR_0"] = accessors.Count;
        accessors.Add(new { bufferView = colorView, componentType = UnsignedByte, normalized = true, count, type = "VEC3" });
        var primitive = new Dictionary<string, object> { ["attributes"] = attributes, ["mode"] = triangles is null ? 0 : 4 };
        if (indexView is { } iv)
        {
            primitive["indices"] = accessors.Count;
            accessors.Add(new { bufferView = iv, componentType = UnsignedInt, count = triangles!.Length, type = "SCALAR" });
        }
        var document = new
        {
            asset = new { version = "2.0", generator },
            scene = 0,
            scenes = new[] { new { nodes = new[] { 0 } } },
            nodes = new[] { new { mesh = 0, name = "head" } },
            meshes = new[] { new { name = "head", primitives = new[] { primitive } } },
            accessors,
            bufferViews = views.Select(v => v.Stride is int s
                ? (object)new { buffer = 0, byteOffset = v.Offset, byteLength = v.Length, byteStride = s, target = v.Target }
                : new { buffer = 0, byteOffset = v.Offset, byteLength = v.Length, target = v.Target }).ToArray(),
            buffers = new[] { new { byteLength = (int)bin.Length } },
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(document);
        int jsonPadded = (json.Length + 3) & ~3;

        var word = new byte[4];
        void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, value);
            stream.Write(word);
        }
        Int(0x46546C67); // "glTF"
        Int(2);
        Int(12 + 8 + jsonPadded + 8 + (int)bin.Length);
        Int(jsonPadded);
        Int(0x4E4F534A); // "JSON"
        stream.Write(json);
        for (int i = json.Length; i < jsonPadded; i++) stream.WriteByte((byte)' ');
        Int((int)bin.Length);
        Int(0x004E4942); // "BIN\0"
        bin.Position = 0;
        bin.CopyTo(stream);
    }

    private static (float[] Min, float[] Max) Bounds(ReadOnlySpan<float> positions)
    {
        float[] min = [float.MaxValue, float.MaxValue, float.MaxValue], max = [float.MinValue, float.MinValue, float.MinValue];
        for (int i = 0; i < positions.Length; i++)
        {
            min[i % 3] = Math.Min(min[i % 3], positions[i]);
            max[i % 3] = Math.Max(max[i % 3], positions[i]);
        }
        return (min, max);
    }
}
