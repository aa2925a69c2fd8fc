using Heads.Core.Models;
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using Heads.Core.Contracts;
using Heads.Core.Geometry.Exchange;
using Heads.Core.Geometry.Ply;
using Heads.Core.Inference;
using Inference.Service.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Service.Apis;

public static class HeadsApi
{
    public static RouteGroupBuilder MapHeadsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/heads").WithTags("Heads");

        api.MapGet("/random", SampleAsync)
            .WithName("RandomHead")
            .WithSummary("A coloured point cloud of a head from HeadsNet")
            .WithDescription(
                "seed: the head seed in [0, 1), or a whole number N from 1 to 2⁶⁴−1 in digits meaning frac(N·0.618…) (default: random; the answer's X-Heads-Seed header repeats it). " +
                "points: how many points (default 200000, at most Inference:MaxPoints). " +
                "format: ply (binary little-endian PLY: float x, y, z; uchar red, green, blue), csv (x,y,z,r,g,b lines) or glb (binary glTF 2.0 points with COLOR_0); " +
                "or Accept application/x-ply / text/csv. model: headsnet or a job id (default: the newest HeadsNet). " +
                "precision: fp32 (default: exactly the trained network) or bf16 (the hidden layers in bfloat16: about twice as fast on CPUs " +
                "with AVX-512 BF16 or AMX, points on average 0.3 % of the head's size away; the answer's X-Heads-Precision header says which).")
            .WithParameterRange("points", services => (1, services.GetRequiredService<IOptions<InferenceOptions>>().Value.MaxPoints))
            .Produces(200, null, VolumeFormats.Ply, VolumeFormats.Csv, GlbWriter.MediaType)
            .ProducesProblem(400)
            .ProducesProblem(404)
            .ProducesProblem(406)
            .ProducesProblem(503);

        return api;
    }

    private static async Task<IResult> SampleAsync(HttpContext http, ModelRegistry registry, HeadsNetGate gate, IOptions<InferenceOptions> options, InferenceMetrics metrics,
        string? seed = null, int? points = null, string? format = null, string? model = null, string? precision = null)
    {
        var ct = http.RequestAborted;
        long started = Stopwatch.GetTimestamp();
        TrainingModel? kind = null;
        string formatName = "unknown";
        http.Response.OnCompleted(() =>
        {
            metrics.Request("heads", kind, formatName, http.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalSeconds);
            return Task.CompletedTask;
        });

        var (cloudFormat, formatProblem) = NegotiateCloud(format, http.Request);
        if (formatProblem is not null) return formatProblem;
        formatName = cloudFormat.ToString().ToLowerInvariant();

        int max = options.Value.MaxPoints;
        int count = points ?? Heads.Core.Models.HeadsNetModel.DefaultPoints;
        if (count < 1 || count > max)
            return Results.Problem(statusCode: 400, title: "Invalid point count", detail: $"points must be within 1..{max:N0} (Inference:MaxPoints); it was {count:N0}.");
        float headSeed = Random.Shared.NextSingle();
        if (seed is not null && !HeadsNetSeed.TryParse(seed, out headSeed, out var seedError))
            return Results.Problem(statusCode: 400, title: "Invalid seed", detail: seedError);
        if (!TryParsePrecision(precision, out var arithmetic))
            return Results.Problem(statusCode: 400, title: "Unknown precision", detail: $"precision '{precision}' is not one of fp32, bf16.");

        var (lease, problem) = ModelSelection.Acquire(registry, model, ModelSelection.Family.Heads);
        if (lease is null) return problem!;
        using (lease)
        {
            var served = lease.Model;
            kind = served.Kind;
            Activity.Current?.SetTag("heads.model", served.Kind.ToString());
            Activity.Current?.SetTag("heads.job_id", served.JobId.ToString());
            Activity.Current?.SetTag("heads.points", count);
            Activity.Current?.SetTag("heads.precision", PrecisionName(arithmetic));
            // Pooled: a 200,000-point head is 3 MB of points and 3 MB of PLY, large-object-heap arrays if fresh.
            var positions = ArrayPool<float>.Shared.Rent(count * 3);
            var colors = ArrayPool<byte>.Shared.Rent(count * 3);
            try
            {
                // Block by block through the gate, so small requests are not starved by large ones; a client that
                // disconnects cancels ct and its work stops at the next block.
                HeadsNetSampler.Sample(served.Heads!, headSeed, count, positions, colors, cancellationToken: ct, precision: arithmetic, blockTurn: gate.EnterBlock);
                http.Response.Headers["X-Heads-Model"] = served.Kind.ToString();
                http.Response.Headers["X-Heads-Job"] = served.JobId.ToString();
                http.Response.Headers["X-Heads-Seed"] = headSeed.ToString("R", CultureInfo.InvariantCulture);
                http.Response.Headers["X-Heads-Points"] = count.ToString(CultureInfo.InvariantCulture);
                http.Response.Headers["X-Heads-Precision"] = PrecisionName(arithmetic);
                var comment = $"HeadsNet job {served.JobId}, seed {headSeed.ToString("R", CultureInfo.InvariantCulture)}, {count} points";
                await SendAsync(http.Response, cloudFormat, positions.AsMemory(0, count * 3), colors.AsMemory(0, count * 3), comment, ct);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(positions);
                ArrayPool<byte>.Shared.Return(colors);
            }
        }
        return Results.Empty;
    }

    private enum CloudFormat { Ply, Csv, Glb }

    private static async Task SendAsync(HttpResponse response, CloudFormat format, ReadOnlyMemory<float> positions, ReadOnlyMemory<byte> colors, string comment, CancellationToken ct)
    {
        if (format == CloudFormat.Csv)
        {
            await VolumeFormats.Send(response, VolumeFormats.Csv + "; charset=utf-8; header=absent", VolumeFormats.PointCloudCsv(positions.Span, colors.Span), ct);
            return;
        }
        if (format == CloudFormat.Glb)
        {
            using var glb = new MemoryStream(positions.Length * 5 + 4096);
            GlbWriter.WritePoints(glb, positions.Span, colors.Span, comment);
            response.Headers.ContentDisposition = "inline; filename=\"head.glb\"";
            await VolumeFormats.Send(response, GlbWriter.MediaType, glb.GetBuffer().AsMemory(0, (int)glb.Length), ct);
            return;
        }
        // 15 bytes a point (float x, y, z; uchar r, g, b) after a header of a few hundred bytes.
        var buffer = ArrayPool<byte>.Shared.Rent(positions.Length / 3 * 15 + 4096);
        try
        {
            using var ply = new MemoryStream(buffer, 0, buffer.Length, writable: true, publiclyVisible: true);
            PlyWriter.WritePointCloud(ply, positions.Span, colors.Span, PlyFormat.BinaryLittleEndian, [comment]);
            response.Headers.ContentDisposition = "inline; filename=\"head.ply\"";
            await VolumeFormats.Send(response, VolumeFormats.Ply, buffer.AsMemory(0, (int)ply.Position), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>fp32 (also float32) or bf16 (also bfloat16), case-insensitive; absent means fp32.</summary>
    public static bool TryParsePrecision(string? text, out HeadsNetPrecision precision)
    {
        precision = HeadsNetPrecision.Float32;
        switch (text?.Trim().ToLowerInvariant())
        {
            case null or "" or "fp32" or "float32":
                return true;
            case "bf16" or "bfloat16":
                precision = HeadsNetPrecision.BFloat16;
                return true;
            default:
                return false;
        }
    }

    public static string PrecisionName(HeadsNetPrecision precision) => precision == HeadsNetPrecision.BFloat16 ? "bf16" : "fp32";

    private static (CloudFormat Format, IResult? Problem) NegotiateCloud(string? format, HttpRequest request)
    {
        if (!string.IsNullOrWhiteSpace(format))
            return format.Trim().ToLowerInvariant() switch
            {
                "ply" => (CloudFormat.Ply, null),
                "csv" => (CloudFormat.Csv, null),
                "glb" => (CloudFormat.Glb, null),
                _ => (CloudFormat.Ply, Results.Problem(statusCode: 400, title: "Unknown format", detail: $"format '{format}' is not one of ply, csv, glb.")),
            };
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0) return (CloudFormat.Ply, null);
        foreach (var media in accept.Where(a => a.Quality is not 0).OrderByDescending(a => a.Quality ?? 1))
        {
            var type = media.MediaType.Value ?? "";
            if (type.Equals(VolumeFormats.Ply, StringComparison.OrdinalIgnoreCase) || type == "*/*" || type.Equals("application/*", StringComparison.OrdinalIgnoreCase)
                || type.Equals(VolumeFormats.OctetStream, StringComparison.OrdinalIgnoreCase))
                return (CloudFormat.Ply, null);
            if (type.Equals(VolumeFormats.Csv, StringComparison.OrdinalIgnoreCase) || type.Equals("text/*", StringComparison.OrdinalIgnoreCase))
                return (CloudFormat.Csv, null);
            if (type.Equals(GlbWriter.MediaType, StringComparison.OrdinalIgnoreCase))
                return (CloudFormat.Glb, null);
        }
        return (CloudFormat.Ply, Results.Problem(statusCode: 406, title: "Not acceptable",
            detail: $"None of '{request.Headers.Accept}' is produced. Ask for {VolumeFormats.Ply}, {VolumeFormats.Csv} or {GlbWriter.MediaType} (or use ?format=ply|csv|glb)."));
    }

}
