using System.Globalization;
using System.Text;

namespace Heads.Core.Geometry;

/// <summary>
/// Reads Wavefront OBJ meshes as reconstruction services (TripoSR among them) write them: <c>v x y z [r g b]</c> with
/// optional per-vertex colours in 0–1, and <c>f</c> polygons (<c>i</c>, <c>i/t</c>, <c>i//n</c>, <c>i/t/n</c>, negative
/// indices relative to the end), fan-triangulated. Other statements are skipped.
/// </summary>
public static class ObjReader
{
    public static HeadMesh Read(Stream stream, int maxVertices = 5_000_000, int maxTriangles = 10_000_000)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var positions = new List<float>();
        var colors = new List<byte>();
        var triangles = new List<int>();
        var polygon = new List<int>();
        bool anyColor = false;
        Span<float> values = stackalloc float[6];
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (line.Length > 4096) throw new InvalidDataException($"OBJ line {lineNumber} is longer than 4096 characters.");
            var span = line.AsSpan().Trim();
            if (span.IsEmpty || span[0] == '#') continue;
            if (span.StartsWith("v ") || span.StartsWith("v\t"))
            {
                int count = ParseFloats(span[2..], values, lineNumber);
                if (count != 3 && count != 6 && count != 4 && count != 7)
                    throw new InvalidDataException($"OBJ line {lineNumber}: a vertex needs x y z [w] or x y z r g b, got {count} numbers.");
                if (positions.Count / 3 >= maxVertices) throw new InvalidDataException($"OBJ has more than {maxVertices} vertices (line {lineNumber}).");
                for (int i = 0; i < 3; i++)
                {
                    if (!float.IsFinite(values[i])) throw new InvalidDataException($"OBJ line {lineNumber}: vertex coordinate {i} is not finite.");
                    positions.Add(values[i]);
                }
                if (count == 6)
                {
                    anyColor = true;
                    for (int i = 3; i < 6; i++) colors.Add(ToByte(values[i]));
                }
                else
                {
                    colors.Add(200); colors.Add(200); colors.Add(200);
                }
            }
            else if (span.StartsWith("f ") || span.StartsWith("f\t"))
            {
                polygon.Clear();
                int vertexCount = positions.Count / 3;
                foreach (var range in span[2..].Split(' '))
                {
                    var token = span[2..][range].Trim();
                    if (token.IsEmpty) continue;
                    int slash = token.IndexOf('/');
                    var indexText = slash >= 0 ? token[..slash] : token;
                    if (!int.TryParse(indexText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) || index == 0)
                        throw new InvalidDataException($"OBJ line {lineNumber}: '{token}' is not a vertex index.");
                    int resolved = index > 0 ? index - 1 : vertexCount + index;
                    if ((uint)resolved >= (uint)vertexCount)
                        throw new InvalidDataException($"OBJ line {lineNumber}: vertex index {index} is outside 1..{vertexCount}.");
                    polygon.Add(resolved);
                }
                if (polygon.Count < 3) throw new InvalidDataException($"OBJ line {lineNumber}: a face needs at least 3 vertices.");
                for (int i = 1; i + 1 < polygon.Count; i++)
                {
                    if (triangles.Count / 3 >= maxTriangles) throw new InvalidDataException($"OBJ has more than {maxTriangles} triangles (line {lineNumber}).");
                    triangles.Add(polygon[0]); triangles.Add(polygon[i]); triangles.Add(polygon[i + 1]);
                }
            }
        }
        if (positions.Count == 0) throw new InvalidDataException("OBJ has no vertices.");
        if (!anyColor) colors.Clear();
        var colorArray = anyColor ? colors.ToArray() : Enumerable.Repeat((byte)200, positions.Count).ToArray();
        return new HeadMesh(positions.ToArray(), colorArray, triangles.ToArray());
    }

    private static int ParseFloats(ReadOnlySpan<char> text, Span<float> values, int lineNumber)
    {
        int count = 0;
        foreach (var range in text.Split(' '))
        {
            var token = text[range].Trim();
            if (token.IsEmpty) continue;
            if (count == values.Length) return count + 1;
            if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out values[count]))
                throw new InvalidDataException($"OBJ line {lineNumber}: '{token}' is not a number.");
            count++;
        }
        return count;
    }

    private static byte ToByte(float v) => (byte)Math.Clamp(MathF.Round((v > 1f ? v / 255f : v) * 255f), 0, 255);
}
