using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Heads.Cli.Services;

namespace Heads.Cli.Commands;

/// <summary><c>heads models</c>: what the inference service serves (and skipped, with why).</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var server = CommonOptions.Server("inference service", ServiceAddresses.Inference);
        var reload = new Option<bool>("--reload") { Description = "Rescan storage first (POST /api/v1/models/reload)." };
        var command = new Command("models", "The models the inference service serves, newest first, with their held-out quality (GET /api/v1/models).") { server, reload };
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
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Progress.Text(m, "model"),-9} {Progress.Text(m, "jobId")}  {(m?["isDefault"]?.GetValue<bool>() == true ? "default" : "       ")}  dataset {Progress.Text(m, "datasetId")}  {Progress.Number(m, "parameters") ?? 0:N0} parameters{(iou is null ? "" : $"  held-out IoU {iou:F3}")}"));
            }
            foreach (var s in listing?["skipped"] as JsonArray ?? [])
                Console.WriteLine($"skipped   {Progress.Text(s, "blobName") ?? Progress.Text(s, "blob")}: {Progress.Text(s, "reason")}");
        });
        return command;
    }
}
