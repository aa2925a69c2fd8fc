using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Heads.Cli.Files;
using Heads.Cli.Services;
using Heads.Core.Datasets;

namespace Heads.Cli.Commands;

/// <summary><c>heads dataset</c>: build or import datasets on the dataset service and follow them; list, show, download.</summary>
public static class DatasetCommand
{
    private const string Api = "api/v1/datasets";

    public static Command Create()
    {
        var command = new Command("dataset", "The dataset service's datasets: build, import, list, show, download.");
        command.Subcommands.Add(Build());
        command.Subcommands.Add(Import());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Download());
        return command;
    }

    private static Option<string?> Server() => CommonOptions.Server("dataset service", ServiceAddresses.Dataset);

    private static ServiceClient Client(ParseResult result, Option<string?> server, TimeSpan? timeout = null) =>
        new("dataset service", result.GetValue(server), ServiceAddresses.Dataset, timeout ?? TimeSpan.FromSeconds(60));

    private static Command Build()
    {
        var kind = new Option<string>("--kind", "-k") { Description = "FaceNet (faces → volumes) or HeadsNet (point rows).", Required = true };
        kind.AcceptOnlyFromAmong("FaceNet", "HeadsNet");
        var id = new Option<string?>("--id") { Description = "Dataset id (default: the service picks <kind>-<time>-<random>)." };
        var limit = new Option<int?>("--limit") { Description = "At most this many heads." };
        var prefix = new Option<string?>("--prefix") { Description = "Only heads whose id starts with this." };
        var heldOut = new Option<double?>("--held-out") { Description = "Fraction of heads held out for evaluation (default 0.1)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once queued." };
        var interval = ScrapeCommand.Interval();
        var server = Server();
        var command = new Command("build", "Builds a dataset from the processed heads (POST /api/v1/datasets) and follows it until ready.")
        {
            kind, id, limit, prefix, heldOut, noWait, interval, server,
        };
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server);
            var (body, _) = await client.PostJsonAsync(Api, new
            {
                datasetId = result.GetValue(id), kind = result.GetValue(kind), limit = result.GetValue(limit),
                headIdPrefix = result.GetValue(prefix), heldOutFraction = result.GetValue(heldOut),
            }, ct);
            await FollowAsync(client, "dataset build", body, result.GetValue(noWait), result.GetValue(interval), ct);
        });
        return command;
    }

    private static Command Import()
    {
        var directory = new Option<string>("--directory") { Description = "A folder under the service's import root holding train_x.dat and train_y.dat(.gz).", DefaultValueFactory = _ => "facenet" };
        var id = new Option<string?>("--id") { Description = "Dataset id (default: <directory>-<time>-<random>)." };
        var heldOut = new Option<double?>("--held-out") { Description = "Fraction held out (default 0.1)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Return once queued." };
        var interval = ScrapeCommand.Interval();
        var server = Server();
        var command = new Command("import", "Imports the original FaceTo3D files as a FaceNet dataset (POST /api/v1/datasets/imports) and follows it.")
        {
            directory, id, heldOut, noWait, interval, server,
        };
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server);
            var (body, _) = await client.PostJsonAsync(Api + "/imports", new
            {
                datasetId = result.GetValue(id), directory = result.GetValue(directory), heldOutFraction = result.GetValue(heldOut),
            }, ct);
            await FollowAsync(client, "dataset import", body, result.GetValue(noWait), result.GetValue(interval), ct);
        });
        return command;
    }

    private static async Task FollowAsync(ServiceClient client, string what, JsonNode? queued, bool noWait, double interval, CancellationToken ct)
    {
        var id = Progress.Text(queued, "datasetId") ?? throw new InputException("the dataset service answered without a datasetId.");
        Console.WriteLine($"dataset {id} queued ({Progress.Text(queued, "kind")}, {Progress.Number(queued, "headsTotal") ?? 0} heads)");
        if (noWait) return;
        var done = await Progress.FollowAsync(client, what, $"{Api}/{id}", Line, s => Progress.Text(s, "state")?.ToLowerInvariant() switch
        {
            "ready" => true,
            "failed" => false,
            _ => null,
        }, Progress.Interval(interval), ct);
        if (done["manifest"] is JsonObject m)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"dataset {id} ready: {Progress.Number(m, "trainRows"):N0} train rows, {Progress.Number(m, "heldOutRows"):N0} held-out rows, {(m["files"] as JsonArray)?.Count ?? 0} files"));
    }

    private static Command List()
    {
        var server = Server();
        var command = new Command("list", "The datasets on the service (GET /api/v1/datasets).") { server };
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server);
            var page = await client.GetJsonAsync(Api + "?limit=500", ct);
            foreach (var d in page?["datasets"] as JsonArray ?? [])
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Progress.Text(d, "datasetId"),-40} {Progress.Text(d, "state"),-9} {Progress.Text(d, "kind"),-9} {Progress.Number(d, "heads") ?? 0,6:N0} heads {Progress.Number(d, "trainRows") ?? 0,12:N0} train rows {Progress.Number(d, "heldOutRows") ?? 0,10:N0} held out"));
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<string>("ID") { Description = "The dataset id." };
        var server = Server();
        var command = new Command("show", "A dataset's state and manifest (GET /api/v1/datasets/{id}).") { id, server };
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server);
            var status = await client.GetJsonAsync($"{Api}/{Uri.EscapeDataString(result.GetValue(id)!)}", ct);
            Console.WriteLine(Line(status!));
            if (status?["manifest"] is JsonObject m)
                foreach (var f in m["files"] as JsonArray ?? [])
                    Console.WriteLine($"  {Progress.Text(f, "name"),-14} {Progress.Number(f, "rows"),10:N0} rows  {Progress.Number(f, "bytes"),14:N0} bytes  sha256 {Progress.Text(f, "sha256")}");
        });
        return command;
    }

    private static Command Download()
    {
        var id = new Argument<string>("ID") { Description = "The dataset id." };
        var output = new Option<string>("--output", "-o") { Description = "Folder to write manifest.json and the dataset's files into (created).", Required = true, HelpName = "DIR" };
        var server = Server();
        var command = new Command("download", "Downloads a ready dataset's manifest and files, each checked against the manifest's SHA-256.") { id, output, server };
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server, TimeSpan.FromMinutes(30));
            var datasetId = result.GetValue(id)!;
            var status = await client.GetJsonAsync($"{Api}/{Uri.EscapeDataString(datasetId)}", ct);
            if (status?["manifest"] is not JsonObject manifestNode)
                throw new InputException($"dataset {datasetId} is {Progress.Text(status, "state") ?? "not ready"}; only a ready dataset can be downloaded.");
            var manifest = DatasetManifest.Parse(System.Text.Encoding.UTF8.GetBytes(manifestNode.ToJsonString()), datasetId);
            var folder = Directory.CreateDirectory(result.GetValue(output)!).FullName;
            foreach (var file in manifest.Files)
            {
                using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"{Api}/{Uri.EscapeDataString(datasetId)}/files/{Uri.EscapeDataString(file.Name)}"), ct);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                var target = Path.Combine(folder, file.Name);
                var temporary = target + ".part";
                try
                {
                    string hash;
                    await using (var stream = File.Create(temporary))
                    using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                    {
                        var buffer = new byte[1 << 20];
                        int read;
                        while ((read = await body.ReadAsync(buffer, ct)) > 0)
                        {
                            sha.AppendData(buffer, 0, read);
                            await stream.WriteAsync(buffer.AsMemory(0, read), ct);
                        }
                        hash = Convert.ToHexStringLower(sha.GetHashAndReset());
                    }
                    if (hash != file.Sha256)
                        throw new InputException($"{file.Name} downloaded with SHA-256 {hash}, but the manifest says {file.Sha256}.");
                }
                catch
                {
                    // A broken connection, Ctrl+C or a wrong hash leaves no partial file behind.
                    File.Delete(temporary);
                    throw;
                }
                File.Move(temporary, target, overwrite: true);
                Console.WriteLine($"{file.Name,-14} {file.Bytes,14:N0} bytes  verified");
            }
            Atomic.Write(Path.Combine(folder, "manifest.json"), manifest.ToJson());
            Console.WriteLine($"wrote {Path.Combine(folder, "manifest.json")}");
        });
        return command;
    }

    private static string Line(JsonNode s)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{Progress.Text(s, "datasetId")}  {Progress.Text(s, "state"),-8} {Progress.Text(s, "kind")}  {Progress.Number(s, "headsDone") ?? 0}/{Progress.Number(s, "headsTotal") ?? 0} heads  {(Progress.Number(s, "bytesWritten") ?? 0) / 1048576.0:F1} MiB{(s["stalled"] is JsonValue st && st.GetValue<bool>() ? "  STALLED" : "")}");
        return Progress.Text(s, "error") is { } error ? $"{line}: {error}" : line;
    }
}
