using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Heads.Cli.Files;
using Heads.Cli.Services;

namespace Heads.Cli.Commands;

/// <summary>
/// <c>heads models</c>: what the inference service serves (and skipped, with why); <c>heads models gallery|losses JOB_ID</c>:
/// a served job's pictures as the trainer stored them.
/// </summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server("inference service", ServiceAddresses.Inference);
        var reload = new Option<bool>("--reload") { Description = "Rescan storage first (POST /api/v1/models/reload)." };
        var command = new Command("models", "The models the inference service serves, newest first, with their held-out quality (GET /api/v1/models).") { server, reload };
        command.Subcommands.Add(Picture("gallery", "gallery.png", "A served job's gallery: held-out heads (photo, true, predicted) or HeadsNet seeds, as PNG."));
        command.Subcommands.Add(Picture("losses", "losses.png", "A served job's training and held-out loss per epoch, as a PNG chart."));
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = new ServiceClient("inference service", result.GetValue(server), ServiceAddresses.Inference, TimeSpan.FromMinutes(5));
            JsonNode? listing = result.GetValue(reload)
                ? (await client.PostJsonAsync("api/v1/models/reload", new { }, ct)).Body
                : await client.GetJsonAsync("api/v1/models", ct);
            var models = listing?["models"] as JsonArray ?? [];
            if (models.Count == 0) Console.WriteLine("no models served yet");
            foreach (var m in models)
            {
                var iou = HeldOutQuality.ModelIoU(m?["quality"]);
                bool isDefault = m?["isDefault"]?.GetValue<bool>() == true, pinned = m?["isPinned"]?.GetValue<bool>() == true;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Progress.Text(m, "model"),-9} {Progress.Text(m, "jobId")}  {(isDefault ? pinned ? "default (pinned)" : "default" : "       ")}  dataset {Progress.Text(m, "datasetId")}  {Progress.Number(m, "parameters") ?? 0:N0} parameters{(iou is null ? "" : $"  held-out IoU {iou:F3}")}"));
                if (m?["quality"] is JsonObject quality && HeldOutQuality.Details(quality) is { Length: > 0 } details) Console.WriteLine(details);
                if (Progress.Text(m, "promotionReason") is { } reason) Console.WriteLine($"  {reason}");
            }
            foreach (var s in listing?["skipped"] as JsonArray ?? [])
                Console.WriteLine($"skipped   {Progress.Text(s, "blobName") ?? Progress.Text(s, "blob")}: {Progress.Text(s, "reason")}");
        });
        return command;
    }

    /// <summary>The PNG signature: an answer that does not start with it is not written, whatever its content type said.</summary>
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private const int MaxPictureBytes = 16 << 20;

    private static Command Picture(string name, string file, string description)
    {
        var job = new Argument<string>("JOB_ID") { Description = "The training job's id (a GUID, as `heads models` lists it)." };
        var output = CommonOptions.Output("The PNG to write.", required: true);
        var server = CommonOptions.Server("inference service", ServiceAddresses.Inference);
        var command = new Command(name, $"{description} (GET /api/v1/models/{{jobId}}/{file})") { job, output, server };
        CommandAction.Set(command, async (result, ct) =>
        {
            var text = result.GetValue(job)!;
            if (!Guid.TryParse(text, out var jobId)) throw new InputException($"JOB_ID '{text}' is not a job id (a GUID such as {Guid.Empty:D}).");
            var path = result.GetValue(output)!;
            if (!string.Equals(Path.GetExtension(path), ".png", StringComparison.OrdinalIgnoreCase))
                throw new InputException($"cannot write {path}: the picture is a PNG, so the file must end in .png.");
            using var client = new ServiceClient("inference service", result.GetValue(server), ServiceAddresses.Inference, TimeSpan.FromMinutes(2));
            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"api/v1/models/{jobId:D}/{file}"), ct);
            if (response.Content.Headers.ContentLength > MaxPictureBytes)
                throw new InputException($"the {client.Service} answered a {response.Content.Headers.ContentLength:N0}-byte {file}; a picture is at most {MaxPictureBytes:N0}.");
            var png = await response.Content.ReadAsByteArrayAsync(ct);
            if (!png.AsSpan().StartsWith(PngSignature))
                throw new InputException($"the {client.Service} answered {file} with {png.Length:N0} bytes that are not a PNG.");
            Atomic.Write(path, png);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"job {jobId:D}: wrote {path} ({png.Length:N0} bytes)"));
        });
        return command;
    }
}
