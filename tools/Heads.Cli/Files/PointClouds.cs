using System.Globalization;
using System.Text;
using Heads.Core.Geometry.Ply;
using Heads.Core.Models;

namespace Heads.Cli.Files;

/// <summary>Coloured point clouds as binary PLY (float x, y, z; uchar red, green, blue), CSV lines <c>x,y,z,r,g,b</c>, or binary glTF points.</summary>
public static class PointClouds
{
    public static void Write(string path, HeadPointCloud cloud, string comment)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        switch (extension)
        {
            case ".ply":
                Atomic.Write(path, s => PlyWriter.WritePointCloud(s, cloud.Positions, cloud.Colors, PlyFormat.BinaryLittleEndian, [comment]));
                break;
            case ".glb":
                Atomic.Write(path, s => Heads.Core.Geometry.Exchange.GlbWriter.WritePoints(s, cloud.Positions, cloud.Colors, comment));
                break;
            case ".csv":
                Atomic.Write(path, s =>
                {
                    using var writer = new StreamWriter(s, new UTF8Encoding(false), 1 << 16);
                    var p = cloud.Positions;
                    var c = cloud.Colors;
                    for (int i = 0; i < cloud.Count; i++)
                        writer.Write(string.Create(CultureInfo.InvariantCulture,
                            $"{p[3 * i]:R},{p[3 * i + 1]:R},{p[3 * i + 2]:R},{c[3 * i]},{c[3 * i + 1]},{c[3 * i + 2]}\n"));
                });
                break;
            default:
                throw new InputException($"cannot write a point cloud as '{extension}' ({path}): use .ply, .csv or .glb.");
        }
    }

    /// <summary>Reads <c>x,y,z[,r,g,b]</c> lines (colour 0..255; gray when absent).</summary>
    public static HeadPointCloud ReadCsv(string path)
    {
        var positions = new List<float>();
        var colors = new List<byte>();
        int number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',', StringSplitOptions.TrimEntries);
            if (fields.Length is not (3 or 6)) throw new InputException($"{path}:{number}: expected x,y,z or x,y,z,r,g,b, found {fields.Length} fields.");
            for (int k = 0; k < 3; k++)
            {
                if (!float.TryParse(fields[k], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !float.IsFinite(v))
                    throw new InputException($"{path}:{number}: '{fields[k]}' is not a finite number.");
                positions.Add(v);
            }
            for (int k = 3; k < 6; k++)
            {
                if (fields.Length == 3) { colors.Add(200); continue; }
                if (!byte.TryParse(fields[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b))
                    throw new InputException($"{path}:{number}: colour '{fields[k]}' is not 0..255.");
                colors.Add(b);
            }
        }
        if (positions.Count == 0) throw new InputException($"{path}: no points.");
        return new HeadPointCloud([.. positions], [.. colors]);
    }

    /// <summary>True when a CSV file's first line has 3 or 6 fields and there is more than one line: points, not volume values.</summary>
    public static bool LooksLikePointCsv(string path)
    {
        using var reader = new StreamReader(path);
        var first = reader.ReadLine();
        var second = reader.ReadLine();
        return first is not null && second is not null && first.Split(',').Length is 3 or 6;
    }
}
