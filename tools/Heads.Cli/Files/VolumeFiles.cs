using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Heads.Core.Geometry;

namespace Heads.Cli.Files;

/// <summary>
/// Reads and writes grayscale voxel volumes (index z·size² + y·size + x) in the formats the inference service answers:
/// raw bytes, CSV values, JSON <c>{"model", "jobId", "size", "data"}</c>, a PLY point per occupied voxel, or the
/// marching-cubes surface as PLY.
/// </summary>
public static class VolumeFiles
{
    public static readonly string[] Extensions = [".raw", ".csv", ".json", ".ply", ".obj", ".glb"];

    /// <summary>
    /// Writes by extension; <paramref name="surface"/> writes a .ply as the marching-cubes mesh instead of points, and
    /// .obj and .glb are always that mesh.
    /// </summary>
    public static void Write(string path, VoxelVolume volume, byte threshold, bool surface, string? model = null, Guid? jobId = null)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(extension))
            throw new InputException($"cannot write a volume as '{extension}' ({path}): use {string.Join(", ", Extensions)}.");
        if (surface && !MeshFiles.IsMesh(path)) throw new InputException("--mesh writes a surface: the output must be a .ply, .obj or .glb file.");
        if (extension is ".obj" or ".glb")
        {
            var mesh = MarchingCubes.Extract(volume, new MarchingCubesOptions { Threshold = threshold });
            MeshFiles.Write(path, mesh, $"marching cubes of a {volume.Size}^3 volume, threshold {threshold}" + (model is null ? "" : $", {model}") + (jobId is { } j ? $" (job {j})" : ""));
            return;
        }
        Atomic.Write(path, stream =>
        {
            switch (extension)
            {
                case ".raw":
                    stream.Write(volume.Data);
                    break;
                case ".csv":
                    stream.Write(Csv(volume.Data));
                    break;
                case ".json":
                    WriteJson(stream, volume, model, jobId);
                    break;
                case ".ply" when surface:
                    VolumeExport.WriteSurface(stream, volume, new MarchingCubesOptions { Threshold = threshold });
                    break;
                default:
                    VolumeExport.WritePointCloud(stream, volume, threshold);
                    break;
            }
        });
    }

    /// <summary>Reads a .raw, .csv or .json volume; its size is the cube root of its value count.</summary>
    public static VoxelVolume Read(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        byte[] data = extension switch
        {
            ".raw" or ".u8" or ".dat" => File.ReadAllBytes(path),
            ".csv" or ".txt" => ParseValues(File.ReadAllText(path), path),
            ".json" => ParseJson(File.ReadAllBytes(path), path),
            _ => throw new InputException($"{path}: not a volume file (.raw, .csv or .json)."),
        };
        return new VoxelVolume(data, CubeSide(data.Length, path));
    }

    public static int CubeSide(long values, string path)
    {
        int side = (int)Math.Round(Math.Cbrt(values));
        if (values == 0 || (long)side * side * side != values)
            throw new InputException($"{path}: {values} values are not a cube of voxels (a 32³ volume has 32768).");
        return side;
    }

    public static byte[] Csv(ReadOnlySpan<byte> volume)
    {
        var text = new byte[volume.Length * 4 + 1];
        int at = 0;
        for (int i = 0; i < volume.Length; i++)
        {
            if (i > 0) text[at++] = (byte)',';
            Utf8Formatter.TryFormat(volume[i], text.AsSpan(at), out int written);
            at += written;
        }
        text[at++] = (byte)'\n';
        return text[..at];
    }

    /// <summary>Values 0..255 separated by commas, semicolons or white space.</summary>
    public static byte[] ParseValues(string text, string path)
    {
        var values = new List<byte>(32768);
        foreach (var token in text.Split([',', ';', ' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || v > 255 || v != Math.Floor(v))
                throw new InputException($"{path}: value {values.Count + 1} ('{token}') is not a whole number 0..255.");
            values.Add((byte)v);
        }
        return [.. values];
    }

    private static byte[] ParseJson(byte[] json, string path)
    {
        var node = JsonNode.Parse(json);
        var data = node is JsonObject o ? o["data"] : node;
        if (data is not JsonArray array) throw new InputException($"{path}: expected a JSON array of voxel values or an object with 'data'.");
        var bytes = new byte[array.Count];
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonValue v || !v.TryGetValue<int>(out var value) || value is < 0 or > 255)
                throw new InputException($"{path}: data[{i}] is not a whole number 0..255.");
            bytes[i] = (byte)value;
        }
        return bytes;
    }

    private static void WriteJson(Stream stream, VoxelVolume volume, string? model, Guid? jobId)
    {
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        if (model is not null) json.WriteString("model", model);
        if (jobId is { } id) json.WriteString("jobId", id);
        json.WriteNumber("size", volume.Size);
        json.WriteStartArray("data");
        foreach (var v in volume.Data) json.WriteNumberValue(v);
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>A one-line description: occupied voxels, value range and the occupied box in voxel coordinates.</summary>
    public static string Describe(VoxelVolume volume)
    {
        int size = volume.Size, occupied = 0;
        int x0 = size, y0 = size, z0 = size, x1 = -1, y1 = -1, z1 = -1;
        byte min = 255, max = 0;
        for (int z = 0, i = 0; z < size; z++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++, i++)
        {
            byte v = volume.Data[i];
            if (v == 0) continue;
            occupied++;
            if (v < min) min = v;
            if (v > max) max = v;
            x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); z0 = Math.Min(z0, z);
            x1 = Math.Max(x1, x); y1 = Math.Max(y1, y); z1 = Math.Max(z1, z);
        }
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{size}³ volume, {occupied:N0} of {volume.Data.Length:N0} voxels occupied");
        if (occupied > 0) text.Append(CultureInfo.InvariantCulture, $", values {min}..{max}, occupied box x {x0}..{x1}, y {y0}..{y1}, z {z0}..{z1}");
        return text.ToString();
    }
}
