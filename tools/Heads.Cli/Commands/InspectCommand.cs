using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Heads.Cli.Files;
using Heads.Cli.Models;
using Heads.Core.Rendering;
using Heads.Core.Datasets;
using Heads.Core.Geometry.Ply;
using Heads.Core.Models;
using SixLabors.ImageSharp;

namespace Heads.Cli.Commands;

/// <summary><c>heads inspect FILE</c>: what a PLY, dataset manifest, model or job holds, without loading any network.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "A .ply, a dataset or training-job manifest.json (or its folder), a .safetensors model, a shard's .json manifest, a volume (.raw/.csv/.json) or a photo.",
        };
        var command = new Command("inspect", "What a file holds: counts, bounds, kind, hyper-parameters and checksums (files beside a manifest are verified).") { file };
        CommandAction.Set(command, (result, ct) =>
        {
            var path = result.GetValue(file)!;
            if (Directory.Exists(path))
            {
                var manifest = Path.Combine(path, "manifest.json");
                if (!File.Exists(manifest)) throw new InputException($"{path} is a folder without manifest.json.");
                path = manifest;
            }
            if (!File.Exists(path)) throw new InputException($"{path}: no such file.");
            var lines = Path.GetExtension(path).ToLowerInvariant() switch
            {
                ".ply" => Ply(path),
                ".safetensors" => Weights(path),
                ".json" => Json(path),
                ".raw" or ".csv" or ".u8" => [("file", path), ("volume", VolumeFiles.Describe(VolumeFiles.Read(path)))],
                ".jpg" or ".jpeg" or ".png" or ".bmp" or ".gif" or ".webp" => Photo(path),
                _ => throw new InputException($"{path}: inspect reads .ply, .json, .safetensors, .raw, .csv and photos."),
            };
            int width = lines.Max(l => l.Key.Length);
            foreach (var (key, value) in lines) Console.WriteLine($"{key.PadRight(width)}  {value}");
            return Task.CompletedTask;
        });
        return command;
    }

    private static List<(string Key, string Value)> Ply(string path)
    {
        PlyHeader header;
        using (var stream = File.OpenRead(path)) header = PlyReader.ReadHeader(stream);
        var ply = PlyReader.Read(path);
        var lines = new List<(string, string)>
        {
            ("file", $"{path} ({new FileInfo(path).Length:N0} bytes)"),
            ("kind", ply.TriangleCount > 0 ? "mesh" : "point cloud"),
            ("format", header.Format.ToString()),
        };
        foreach (var element in header.Elements)
            lines.Add(("element " + element.Name, $"{element.Count:N0} × ({string.Join(", ", element.Properties.Select(p => p.IsList ? $"list {PlyProperty.TypeName(p.CountType)} {PlyProperty.TypeName(p.Type)} {p.Name}" : $"{PlyProperty.TypeName(p.Type)} {p.Name}"))})"));
        lines.Add(("vertices", ply.VertexCount.ToString("N0", CultureInfo.InvariantCulture)));
        lines.Add(("triangles", ply.TriangleCount.ToString("N0", CultureInfo.InvariantCulture)));
        lines.Add(("colours", ply.Colors is null ? "none" : "per vertex"));
        lines.Add(("normals", ply.Normals is null ? "none" : "per vertex"));
        if (ply.VertexCount > 0)
        {
            var p = ply.Positions;
            float Min(int k) { float m = float.MaxValue; for (int i = k; i < p.Length; i += 3) m = MathF.Min(m, p[i]); return m; }
            float Max(int k) { float m = float.MinValue; for (int i = k; i < p.Length; i += 3) m = MathF.Max(m, p[i]); return m; }
            lines.Add(("bounds", string.Create(CultureInfo.InvariantCulture, $"x {Min(0):G5}..{Max(0):G5}, y {Min(1):G5}..{Max(1):G5}, z {Min(2):G5}..{Max(2):G5}")));
            var (centre, half) = Scene.Bounds(p);
            lines.Add(("centre", string.Create(CultureInfo.InvariantCulture, $"({centre.X:G5}, {centre.Y:G5}, {centre.Z:G5}), largest half extent {half:G5}")));
        }
        foreach (var comment in header.Comments) lines.Add(("comment", comment));
        lines.Add(("sha256", Sha256(path)));
        return lines;
    }

    private static List<(string Key, string Value)> Weights(string path)
    {
        var header = SafeTensorsHeader.Read(path);
        var lines = new List<(string, string)> { ("file", $"{path} ({header.Bytes:N0} bytes)") };
        if (header.Manifest is { } m) lines.AddRange(Manifest(m));
        else lines.Add(("kind", "safetensors without a Heads manifest"));
        lines.Add(("tensors", $"{header.Tensors.Count}, {header.Tensors.Sum(t => t.Elements):N0} values"));
        foreach (var t in header.Tensors) lines.Add(("  " + t.Name, $"{t.DType} [{string.Join(", ", t.Shape)}]"));
        lines.Add(("sha256", header.Sha256));
        return lines;
    }

    private static IEnumerable<(string, string)> Manifest(ModelManifest m)
    {
        yield return ("kind", m.Kind.ToString());
        yield return ("architecture", $"{m.Architecture} ({m.Architecture.ParameterCount:N0} parameters per network, {m.Architecture.WeightInit})");
        if (m.Voxels is { } v) yield return ("voxels", $"{v.First}..{v.First + v.Count - 1} ({v.Trained:N0} trained, {v.Constant:N0} constant)");
        if (m.DatasetId is not null) yield return ("dataset", m.DatasetId);
        if (m.TrainingSamples > 0) yield return ("training samples", m.TrainingSamples.ToString("N0", CultureInfo.InvariantCulture));
        if (m.HyperParameters is { } hp) yield return ("hyper-parameters", hp.ToJsonString());
        if (m.EpochLosses.Count > 0)
            yield return ("epoch losses", string.Create(CultureInfo.InvariantCulture, $"{m.EpochLosses.Count} epochs, first {m.EpochLosses[0]:G5}, last {m.EpochLosses[^1]:G5}"));
        if (m.WeightsSha256.Length > 0) yield return ("weights sha256", $"{m.WeightsSha256} ({m.WeightsBytes:N0} bytes)");
    }

    private static List<(string Key, string Value)> Json(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var node = JsonNode.Parse(bytes) as JsonObject ?? throw new InputException($"{path}: not a JSON object.");
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (Has(node, "headIds") && Has(node, "files")) return Dataset(path, DatasetManifest.Parse(bytes, path), folder);
        if (Has(node, "model") && (Has(node, "weights") || Has(node, "weightsBlob") || Has(node, "shards"))) return Job(path, node, folder);
        if (Has(node, "kind") && Has(node, "architecture"))
            return [("file", path), .. Manifest(ModelManifest.FromJson(node.ToJsonString()))];
        if (Has(node, "data")) return [("file", path), ("volume", VolumeFiles.Describe(VolumeFiles.Read(path)))];
        throw new InputException($"{path}: not a dataset manifest, training-job manifest, model manifest or volume.");
    }

    private static List<(string Key, string Value)> Dataset(string path, DatasetManifest m, string folder)
    {
        var lines = new List<(string, string)>
        {
            ("file", path),
            ("dataset", m.DatasetId),
            ("kind", m.Kind.ToString()),
            ("origin", m.Origin + (m.ImportDirectory is null ? "" : $" ({m.ImportDirectory})")),
            ("created", m.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
            ("generator", m.GeneratorVersion),
            ("heads", $"{m.HeadIds.Count:N0} ({m.TrainHeadIds.Count:N0} train, {m.HeldOutHeadIds.Count:N0} held out; fraction {m.HeldOutFraction})"),
            ("rows", $"{m.TrainRows:N0} train, {m.HeldOutRows:N0} held out"),
            ("bytes", m.TotalBytes.ToString("N0", CultureInfo.InvariantCulture)),
        };
        foreach (var f in m.Files)
        {
            var local = Path.Combine(folder, f.Name);
            string check = !File.Exists(local) ? "not here"
                : new FileInfo(local).Length != f.Bytes ? $"SIZE MISMATCH ({new FileInfo(local).Length:N0} bytes here)"
                : Sha256(local) == f.Sha256 ? "verified" : "CHECKSUM MISMATCH";
            lines.Add(("file " + f.Name, $"{f.Partition}, {(f.Role == DatasetFileRole.Inputs ? "inputs" : "targets")}, {f.Rows:N0} rows × {f.RowBytes:N0} bytes, sha256 {f.Sha256} [{check}]"));
        }
        if (lines.Any(l => l.Item2.Contains("MISMATCH", StringComparison.Ordinal)))
            throw new InputException($"{path}: {string.Join("; ", lines.Where(l => l.Item2.Contains("MISMATCH", StringComparison.Ordinal)).Select(l => l.Item1[5..] + " does not match the manifest"))}.");
        return lines;
    }

    private static List<(string Key, string Value)> Job(string path, JsonObject job, string folder)
    {
        var lines = new List<(string, string)> { ("file", path) };
        foreach (var key in new[] { "jobId", "model", "datasetId", "createdAt", "trainingSamples", "shardSize", "prunedVoxels" })
            if (job[key] is { } value) lines.Add((key, value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString()));
        if (job["architecture"] is JsonObject a) lines.Add(("architecture", a.ToJsonString()));
        if (job["hyperParameters"] is JsonObject hp) lines.Add(("hyper-parameters", hp.ToJsonString()));
        if (job["epochLosses"] is JsonArray losses && losses.Count > 0)
            lines.Add(("epoch losses", $"{losses.Count} epochs, first {losses[0]}, last {losses[^1]}"));
        if (job["quality"] is JsonObject q) lines.Add(("quality", q.ToJsonString()));
        if (job["pointCloud"] is JsonObject pc) lines.Add(("point cloud", pc.ToJsonString()));
        var engine = job["weights"] as JsonObject ?? job["modelManifest"] as JsonObject;
        var weights = job["weights"] is JsonValue w ? w.GetValue<string>() : job["weightsBlob"]?.GetValue<string>();
        if (weights is not null)
        {
            var expected = engine?["weightsSha256"]?.GetValue<string>();
            lines.Add(("weights", $"{weights}{(expected is null ? "" : $", sha256 {expected}")} [{Verify(folder, weights, expected)}]"));
        }
        if (job["shards"] is JsonArray shards)
        {
            lines.Add(("shards", shards.Count.ToString(CultureInfo.InvariantCulture)));
            foreach (var s in shards.OfType<JsonObject>())
            {
                var first = s["firstVoxel"] ?? s["first"];
                var count = s["voxelCount"] ?? s["count"];
                var file = (s["weightsBlob"] ?? s["weights"])?.GetValue<string>() ?? "?";
                var detail = s["trained"] is { } t ? $", {t} trained, {s["pruned"]} pruned" : "";
                lines.Add(($"  shard {first}+{count}", $"{file}{detail} [{Verify(folder, file, s["weightsSha256"]?.GetValue<string>())}]"));
            }
        }
        if (lines.Any(l => l.Item2.EndsWith("[CHECKSUM MISMATCH]", StringComparison.Ordinal)))
            throw new InputException($"{path}: a weights file beside it does not match the manifest's SHA-256.");
        return lines;
    }

    /// <summary>Checks a blob the manifest names against the copy beside it (container-relative or job-relative), when there is one.</summary>
    private static string Verify(string jobFolder, string blob, string? sha256)
    {
        var trimmed = blob.TrimStart('/');
        if (trimmed.StartsWith("models/", StringComparison.Ordinal)) trimmed = trimmed[7..];
        int slash = trimmed.IndexOf('/');
        var candidates = new[] { Path.Combine(Path.GetDirectoryName(jobFolder) ?? jobFolder, trimmed), Path.Combine(jobFolder, trimmed), slash > 0 ? Path.Combine(jobFolder, trimmed[(slash + 1)..]) : "" };
        var local = candidates.FirstOrDefault(File.Exists);
        if (local is null) return "not here";
        if (sha256 is null) return "present";
        return string.Equals(Sha256(local), sha256, StringComparison.OrdinalIgnoreCase) ? "verified" : "CHECKSUM MISMATCH";
    }

    private static List<(string Key, string Value)> Photo(string path)
    {
        var info = Image.Identify(path, out var format) ?? throw new InputException($"{path}: not an image ImageSharp can read.");
        return
        [
            ("file", $"{path} ({new FileInfo(path).Length:N0} bytes)"),
            ("image", $"{info.Width}×{info.Height}, {format?.Name ?? "unknown format"}, {info.PixelType.BitsPerPixel} bits per pixel"),
            ("face input", $"{Heads.Core.Imaging.FaceImage.DefaultSize}×{Heads.Core.Imaging.FaceImage.DefaultSize} grayscale after a centre square crop (Lanczos)"),
            ("sha256", Sha256(path)),
        ];
    }

    private static bool Has(JsonObject o, string name) => o.Any(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
