using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Heads.Core.Models;

namespace Heads.Cli.Models;

/// <summary>One tensor a safetensors file holds.</summary>
public sealed record TensorEntry(string Name, string DType, long[] Shape)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// What a safetensors weights file says about itself, read from its JSON header without loading libtorch: the tensors,
/// the embedded Heads model manifest (<c>heads.manifest</c> metadata) and the file's SHA-256.
/// </summary>
public sealed record SafeTensorsHeader(IReadOnlyList<TensorEntry> Tensors, IReadOnlyDictionary<string, string> Metadata, ModelManifest? Manifest, string Sha256, long Bytes)
{
    public const string ManifestKey = "heads.manifest";

    public static SafeTensorsHeader Read(string path)
    {
        using var stream = File.OpenRead(path);
        Span<byte> length = stackalloc byte[8];
        if (stream.ReadAtLeast(length, 8, throwOnEndOfStream: false) < 8) throw new InputException($"{path}: too short for a safetensors file.");
        long headerBytes = BinaryPrimitives.ReadInt64LittleEndian(length);
        if (headerBytes <= 0 || headerBytes > 64 << 20 || headerBytes > stream.Length - 8)
            throw new InputException($"{path}: not a safetensors file (header length {headerBytes}).");
        var header = new byte[headerBytes];
        stream.ReadExactly(header);
        JsonObject json;
        try
        {
            json = JsonNode.Parse(header) as JsonObject ?? throw new InputException($"{path}: the safetensors header is not a JSON object.");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InputException($"{path}: the safetensors header is not valid JSON ({e.Message}).", e);
        }
        var tensors = new List<TensorEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, node) in json)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject m)
                    foreach (var (k, v) in m) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var dtype = node?["dtype"]?.GetValue<string>() ?? "?";
            var shape = (node?["shape"] as JsonArray)?.Select(d => d!.GetValue<long>()).ToArray() ?? [];
            tensors.Add(new TensorEntry(name, dtype, shape));
        }
        ModelManifest? manifest = metadata.TryGetValue(ManifestKey, out var text) ? ModelManifest.FromJson(text) : null;
        stream.Position = 0;
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new SafeTensorsHeader(tensors, metadata, manifest, hash, stream.Length);
    }
}
