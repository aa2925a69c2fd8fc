using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Heads.Core.Models;

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
/// shape and byte range, then the raw little-endian tensor bytes. PyTorch users read it with <c>safetensors.torch.load_file</c>.
/// Written and read strictly forward, so it works on blob-storage streams.
/// </summary>
internal static class SafeTensors
{
    private const long MaxHeaderBytes = 64 << 20;

    public static void Write(Stream stream, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        var contiguous = new List<Tensor>(tensors.Count);
        try
        {
            foreach (var (name, t) in tensors)
            {
                var c = t.detach().contiguous();
                contiguous.Add(c);
                long bytes = c.numel() * c.ElementSize;
                header[name] = new JsonObject
                {
                    ["dtype"] = DTypeName(c.dtype, name),
                    ["shape"] = new JsonArray(c.shape.Select(d => (JsonNode)d).ToArray()),
                    ["data_offsets"] = new JsonArray(offset, offset + bytes),
                };
                offset += bytes;
            }
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            int padded = (json.Length + 7) / 8 * 8;
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var c in contiguous)
                if (c.numel() > 0) stream.Write(c.bytes);
        }
        finally
        {
            foreach (var c in contiguous) c.Dispose();
        }
    }

    /// <summary>Reads all tensors. The caller owns the returned tensors.</summary>
    public static (Dictionary<string, string> Metadata, Dictionary<string, Tensor> Tensors) Read(Stream stream)
    {
        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(stream, lengthBytes, "the header length");
        long length = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (length <= 0 || length > MaxHeaderBytes)
            throw new ModelFormatException($"Not a safetensors file: header length {length} is outside 1..{MaxHeaderBytes} bytes.");
        var headerBytes = new byte[length];
        ReadExactly(stream, headerBytes, "the header");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new ModelFormatException("The safetensors header is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException($"The safetensors header is not valid JSON (corrupt file?): {e.Message}", e);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<(string Name, ScalarType Type, long[] Shape, long Begin, long End)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject m)
                    foreach (var (k, v) in m) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            try
            {
                var o = node!.AsObject();
                var type = ParseDType(o["dtype"]!.GetValue<string>(), name);
                var shape = o["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                var range = o["data_offsets"]!.AsArray();
                long begin = range[0]!.GetValue<long>(), end = range[1]!.GetValue<long>();
                long expected = shape.Aggregate(1L, (a, d) => checked(a * d)) * ElementSize(type);
                if (shape.Any(d => d < 0) || end - begin != expected)
                    throw new ModelFormatException($"Tensor '{name}' spans {end - begin} bytes but its shape [{string.Join(", ", shape)}] needs {expected}.");
                entries.Add((name, type, shape, begin, end));
            }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or OverflowException or ArgumentException)
            {
                throw new ModelFormatException($"The safetensors header entry for '{name}' is malformed: {e.Message}", e);
            }
        }

        entries.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            long position = 0;
            foreach (var (name, type, shape, begin, end) in entries)
            {
                if (begin < position) throw new ModelFormatException($"Tensor '{name}' overlaps the tensor before it.");
                Skip(stream, begin - position, name);
                var t = empty(shape, type);
                tensors[name] = t;
                if (end > begin) ReadExactly(stream, t.bytes, $"tensor '{name}'");
                position = end;
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (metadata, tensors);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new ModelFormatException($"The weights file ends inside {what} (truncated?).", e);
        }
    }

    private static void Skip(Stream stream, long count, string name)
    {
        var buffer = new byte[Math.Min(count, 81920)];
        while (count > 0)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(count, buffer.Length));
            if (n == 0) throw new ModelFormatException($"The weights file ends before tensor '{name}' (truncated?).");
            count -= n;
        }
    }

    private static string DTypeName(ScalarType type, string name) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Int32 => "I32",
        ScalarType.Int64 => "I64",
        ScalarType.Byte => "U8",
        _ => throw new NotSupportedException($"Tensor '{name}' has dtype {type}, which these model files do not store."),
    };

    private static ScalarType ParseDType(string name, string tensor) => name switch
    {
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        "I32" => ScalarType.Int32,
        "I64" => ScalarType.Int64,
        "U8" => ScalarType.Byte,
        _ => throw new ModelFormatException($"Tensor '{tensor}' has dtype {name}, which these model files do not use."),
    };

    private static long ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        _ => 1,
    };
}
