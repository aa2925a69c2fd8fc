using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Exchange;
using Heads.Core.Models;
using Microsoft.Net.Http.Headers;

namespace Inference.Service.Apis;

/// <summary>How a predicted 32³ volume is answered.</summary>
public enum VolumeFormat
{
    /// <summary><c>{"model", "jobId", "size": 32, "data": [32768 ints]}</c>, application/json.</summary>
    Json,
    /// <summary>32768 bytes, index z·1024 + y·32 + x, application/octet-stream.</summary>
    Raw,
    /// <summary>The 32768 values comma-separated on one line, text/csv.</summary>
    Csv,
    /// <summary>One point per occupied voxel (binary PLY, float x y z, uchar gray as r g b), application/x-ply.</summary>
    Ply,
    /// <summary>The marching-cubes surface (binary PLY with faces and normals), application/x-ply; kind=mesh.</summary>
    Mesh,
    /// <summary>The marching-cubes surface as Wavefront OBJ with vertex colours and normals, model/obj.</summary>
    Obj,
    /// <summary>The marching-cubes surface as binary glTF 2.0, model/gltf-binary.</summary>
    Glb,
}

/// <summary>Chooses a response format from <c>?format=</c> (wins) or <c>Accept</c>, and writes volumes and point clouds.</summary>
public static class VolumeFormats
{
    public const string Json = "application/json";
    public const string OctetStream = "application/octet-stream";
    public const string Csv = "text/csv";
    public const string Ply = "application/x-ply";

    private static readonly Dictionary<string, VolumeFormat> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["json"] = VolumeFormat.Json,
        ["raw"] = VolumeFormat.Raw,
        ["bytes"] = VolumeFormat.Raw,
        ["csv"] = VolumeFormat.Csv,
        ["ply"] = VolumeFormat.Ply,
        ["points"] = VolumeFormat.Ply,
        ["mesh"] = VolumeFormat.Mesh,
        ["obj"] = VolumeFormat.Obj,
        ["glb"] = VolumeFormat.Glb,
    };

    public static (VolumeFormat Format, IResult? Problem) Negotiate(string? format, HttpRequest request)
    {
        if (!string.IsNullOrWhiteSpace(format))
            return Names.TryGetValue(format.Trim(), out var named)
                ? (named, null)
                : (default, Results.Problem(statusCode: 400, title: "Unknown format",
                    detail: $"format '{format}' is not one of json, raw, csv, ply, mesh, obj, glb."));
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0) return (VolumeFormat.Json, null);
        foreach (var media in accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1))
        {
            var type = media.MediaType.Value ?? "";
            if (type.Equals(Json, StringComparison.OrdinalIgnoreCase) || type.Equals("application/problem+json", StringComparison.OrdinalIgnoreCase)
                || type == "*/*" || type.Equals("application/*", StringComparison.OrdinalIgnoreCase))
                return (VolumeFormat.Json, null);
            if (type.Equals(OctetStream, StringComparison.OrdinalIgnoreCase)) return (VolumeFormat.Raw, null);
            if (type.Equals(Csv, StringComparison.OrdinalIgnoreCase) || type.Equals("text/*", StringComparison.OrdinalIgnoreCase)) return (VolumeFormat.Csv, null);
            if (type.Equals(ObjWriter.MediaType, StringComparison.OrdinalIgnoreCase)) return (VolumeFormat.Obj, null);
            if (type.Equals(GlbWriter.MediaType, StringComparison.OrdinalIgnoreCase)) return (VolumeFormat.Glb, null);
            if (type.Equals(Ply, StringComparison.OrdinalIgnoreCase))
            {
                var kind = media.Parameters.FirstOrDefault(p => p.Name.Equals("kind", StringComparison.OrdinalIgnoreCase))?.Value.Value;
                return (string.Equals(kind, "mesh", StringComparison.OrdinalIgnoreCase) ? VolumeFormat.Mesh : VolumeFormat.Ply, null);
            }
        }
        return (default, Results.Problem(statusCode: 406, title: "Not acceptable",
            detail: $"None of '{request.Headers.Accept}' is produced. Ask for {Json}, {OctetStream}, {Csv}, {Ply}, '{Ply}; kind=mesh', {ObjWriter.MediaType} or {GlbWriter.MediaType} (or use ?format=json|raw|csv|ply|mesh|obj|glb)."));
    }

    public static string Name(VolumeFormat format) => format.ToString().ToLowerInvariant();

    /// <summary>Writes <paramref name="volume"/> (32768 bytes) to the response in <paramref name="format"/>.</summary>
    public static async Task WriteVolumeAsync(HttpResponse response, VolumeFormat format, byte[] volume, string model, Guid jobId, byte threshold, CancellationToken cancellationToken)
    {
        switch (format)
        {
            case VolumeFormat.Json:
            {
                using var body = new PooledBody(volume.Length * 4 + 128);
                WriteVolumeJson(body, volume, model, jobId);
                await Send(response, Json, body.Written, cancellationToken);
                break;
            }
            case VolumeFormat.Raw:
                await Send(response, OctetStream, volume, cancellationToken);
                break;
            case VolumeFormat.Csv:
            {
                using var body = new PooledBody(volume.Length * 4 + 1);
                WriteVolumeCsv(body, volume);
                await Send(response, Csv + "; charset=utf-8; header=absent", body.Written, cancellationToken);
                break;
            }
            case VolumeFormat.Ply:
            {
                using var ply = new MemoryStream();
                VolumeExport.WritePointCloud(ply, new VoxelVolume(volume), threshold);
                response.Headers.ContentDisposition = "inline; filename=\"volume-points.ply\"";
                await Send(response, Ply, ply.GetBuffer().AsMemory(0, (int)ply.Length), cancellationToken);
                break;
            }
            case VolumeFormat.Mesh:
            {
                using var ply = new MemoryStream();
                var mesh = VolumeExport.WriteSurface(ply, new VoxelVolume(volume), new MarchingCubesOptions { Threshold = threshold });
                response.Headers["X-Heads-Triangles"] = mesh.TriangleCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.Headers.ContentDisposition = "inline; filename=\"volume-mesh.ply\"";
                await Send(response, Ply + "; kind=mesh", ply.GetBuffer().AsMemory(0, (int)ply.Length), cancellationToken);
                break;
            }
            case VolumeFormat.Obj or VolumeFormat.Glb:
            {
                var mesh = MarchingCubes.Extract(new VoxelVolume(volume), new MarchingCubesOptions { Threshold = threshold });
                if (mesh.TriangleCount == 0)
                {
                    // Neither format has an empty mesh a reader accepts (glTF forbids empty accessors).
                    await Results.Problem(statusCode: 422, title: "Empty surface",
                        detail: $"No voxel reaches threshold {threshold}, so there is no surface to write; lower the threshold or ask for json.").ExecuteAsync(response.HttpContext);
                    break;
                }
                using var file = new MemoryStream();
                string comment = $"Heads {model} prediction (job {jobId}), marching cubes at threshold {threshold}";
                if (format == VolumeFormat.Obj) ObjWriter.Write(file, mesh, comment);
                else GlbWriter.WriteMesh(file, mesh, comment);
                response.Headers["X-Heads-Triangles"] = mesh.TriangleCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
                response.Headers.ContentDisposition = format == VolumeFormat.Obj ? "inline; filename=\"volume-mesh.obj\"" : "inline; filename=\"volume-mesh.glb\"";
                await Send(response, format == VolumeFormat.Obj ? ObjWriter.MediaType : GlbWriter.MediaType, file.GetBuffer().AsMemory(0, (int)file.Length), cancellationToken);
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown volume format.");
        }
    }

    public static byte[] VolumeJson(ReadOnlySpan<byte> volume, string model, Guid jobId)
    {
        using var body = new PooledBody(volume.Length * 4 + 128);
        WriteVolumeJson(body, volume, model, jobId);
        return body.Written.ToArray();
    }

    /// <summary>{"model", "jobId", "size", "data": [32768 values]} into <paramref name="output"/>.</summary>
    public static void WriteVolumeJson(IBufferWriter<byte> output, ReadOnlySpan<byte> volume, string model, Guid jobId)
    {
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            json.WriteString("jobId", jobId);
            json.WriteNumber("size", VoxelVolume.DefaultSize);
            json.WriteStartArray("data");
            foreach (var v in volume) json.WriteNumberValue(v);
            json.WriteEndArray();
            json.WriteEndObject();
        }
    }

    /// <summary>All values on one line, comma-separated, newline-terminated.</summary>
    public static byte[] VolumeCsv(ReadOnlySpan<byte> volume)
    {
        using var body = new PooledBody(volume.Length * 4 + 1);
        WriteVolumeCsv(body, volume);
        return body.Written.ToArray();
    }

    /// <summary>All values on one line, comma-separated, newline-terminated, into <paramref name="output"/>.</summary>
    public static void WriteVolumeCsv(IBufferWriter<byte> output, ReadOnlySpan<byte> volume)
    {
        var text = output.GetSpan(volume.Length * 4 + 1);
        int at = 0;
        for (int i = 0; i < volume.Length; i++)
        {
            if (i > 0) text[at++] = (byte)',';
            Utf8Formatter.TryFormat(volume[i], text[at..], out int written);
            at += written;
        }
        text[at++] = (byte)'\n';
        output.Advance(at);
    }

    /// <summary>A point cloud as CSV: one <c>x,y,z,r,g,b</c> line per point, floats in shortest round-trip form.</summary>
    public static ReadOnlyMemory<byte> PointCloudCsv(HeadPointCloud cloud) => PointCloudCsv(cloud.Positions, cloud.Colors);

    /// <summary>The same from positions (x, y, z a point) and colours (r, g, b a point).</summary>
    public static ReadOnlyMemory<byte> PointCloudCsv(ReadOnlySpan<float> p, ReadOnlySpan<byte> c)
    {
        int count = p.Length / 3;
        var text = new byte[count * 80];
        int at = 0;
        for (int i = 0; i < count; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                p[i * 3 + k].TryFormat(text.AsSpan(at), out int written, "R", System.Globalization.CultureInfo.InvariantCulture);
                at += written;
                text[at++] = (byte)',';
            }
            for (int k = 0; k < 3; k++)
            {
                Utf8Formatter.TryFormat(c[i * 3 + k], text.AsSpan(at), out int written);
                at += written;
                text[at++] = k < 2 ? (byte)',' : (byte)'\n';
            }
        }
        return text.AsMemory(0, at);
    }

    public static async Task Send(HttpResponse response, string contentType, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, cancellationToken);
    }
}
