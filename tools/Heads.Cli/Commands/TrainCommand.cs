using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Heads.Cli.Services;

namespace Heads.Cli.Commands;

/// <summary><c>heads train</c>: starts a training job on the trainer and follows it to its held-out report; status and cancel.</summary>
public static class TrainCommand
{
    private const string Api = "api/v1/training-jobs";

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "HeadsNet, FaceNet1, FaceNet2 or FaceNet3.", Required = true };
        model.AcceptOnlyFromAmong("HeadsNet", "FaceNet1", "FaceNet2", "FaceNet3");
        var dataset = new Option<string?>("--dataset", "-d") { Description = "The dataset to train on." };
        var latest = new Option<bool>("--latest") { Description = "Train on the newest dataset of the model's kind, with the pipeline's settings (POST /api/v1/training-jobs/latest-dataset)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: the original's)." };
        var batch = new Option<int?>("--batch-size") { Description = "Batch size." };
        var rate = new Option<double?>("--learning-rate") { Description = "Learning rate." };
        var samples = new Option<int?>("--sample-limit") { Description = "Train on at most this many samples." };
        var optimizer = new Option<string?>("--optimizer") { Description = "Optimiser name, as the trainer accepts it." };
        var seed = new Option<int?>("--seed") { Description = "Weight initialisation and shuffling seed." };
        var shardSize = new Option<int?>("--shard-size") { Description = "FaceNet2: voxels per shard." };
        var noPrune = new Option<bool>("--no-prune") { Description = "FaceNet2: train constant voxels too." };
        var encoding = new Option<string?>("--encoding") { Description = "HeadsNet: input encoding, SphereFourier (default) or Original (the original's two raw inputs)." };
        encoding.AcceptOnlyFromAmong("SphereFourier", "Original");
        var noWait = new Option<bool>("--no-wait") { Description = "Return once queued." };
        var interval = ScrapeCommand.Interval();
        var server = Server();
        var command = new Command("train", "Starts a training job (POST /api/v1/training-jobs) and prints its progress until it completes. Subcommands: status, cancel.")
        {
            model, dataset, latest, epochs, batch, rate, samples, optimizer, seed, shardSize, noPrune, encoding, noWait, interval, server,
        };
        CommonOptions.OneOf(command, dataset, latest);
        command.Validators.Add(result =>
        {
            if (result.GetResult(dataset) is null && result.GetResult(latest) is null) result.AddError("Give --dataset ID or --latest.");
        });
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server);
            JsonNode? body;
            if (result.GetValue(latest))
            {
                (body, _) = await client.PostJsonAsync(Api + "/latest-dataset", new { model = result.GetValue(model) }, ct);
            }
            else
            {
                (body, _) = await client.PostJsonAsync(Api, new
                {
                    model = result.GetValue(model), datasetId = result.GetValue(dataset), epochs = result.GetValue(epochs),
                    batchSize = result.GetValue(batch), learningRate = result.GetValue(rate), sampleLimit = result.GetValue(samples),
                    optimizer = result.GetValue(optimizer), seed = result.GetValue(seed), shardSize = result.GetValue(shardSize),
                    pruneConstantVoxels = !result.GetValue(noPrune), encoding = result.GetValue(encoding),
                }, ct);
            }
            var id = Progress.Text(body, "jobId") ?? throw new InputException("the trainer answered without a jobId.");
            // --latest asks for the pipeline's one job per dataset and model: when it exists already, the answer is that job, in its state.
            Console.WriteLine($"training job {id} {Progress.Text(body, "state") ?? "queued"}: {Progress.Text(body, "model")} on {Progress.Text(body, "datasetId")}");
            if (result.GetValue(noWait)) return;
            var done = await Progress.FollowAsync(client, $"training job {id}", $"{Api}/{id}", Line, Finished, Progress.Interval(result.GetValue(interval)), ct);
            if (done["quality"] is JsonObject quality) Console.WriteLine($"held-out quality: {HeldOutQuality.Describe(quality)}");
            if (HeldOutQuality.Promotion(done["promotion"]) is { } promotion) Console.WriteLine(promotion);
            if (Progress.Text(done, "manifestBlob") is { } manifest) Console.WriteLine($"model: {manifest}");
        });

        var statusId = new Argument<Guid?>("ID") { Description = "A job id (default: list recent jobs).", Arity = ArgumentArity.ZeroOrOne };
        var statusServer = Server();
        var status = new Command("status", "One training job's progress, or the recent jobs.") { statusId, statusServer };
        CommandAction.Set(status, async (result, ct) =>
        {
            using var client = Client(result, statusServer);
            if (result.GetValue(statusId) is { } id)
            {
                Console.WriteLine($"{id}  {Line((await client.GetJsonAsync($"{Api}/{id}", ct))!)}");
                return;
            }
            foreach (var job in (await client.GetJsonAsync(Api, ct)) as JsonArray ?? [])
                Console.WriteLine($"{Progress.Text(job, "jobId")}  {Line(job!)}");
        });

        var cancelId = new Argument<Guid>("ID") { Description = "The job to cancel." };
        var cancelServer = Server();
        var cancel = new Command("cancel", "Cancels a queued or running job (DELETE /api/v1/training-jobs/{id}).") { cancelId, cancelServer };
        CommandAction.Set(cancel, async (result, ct) =>
        {
            using var client = Client(result, cancelServer);
            var body = await client.DeleteAsync($"{Api}/{result.GetValue(cancelId)}", ct);
            Console.WriteLine($"{result.GetValue(cancelId)}  {Line(body!)}");
        });

        command.Subcommands.Add(status);
        command.Subcommands.Add(cancel);
        return command;
    }

    private static Option<string?> Server() => CommonOptions.Server("trainer", ServiceAddresses.Trainer);

    private static ServiceClient Client(ParseResult result, Option<string?> server) =>
        new("trainer", result.GetValue(server), ServiceAddresses.Trainer, TimeSpan.FromSeconds(60));

    private static string Line(JsonNode s)
    {
        var parts = new List<string> { $"{Progress.Text(s, "state"),-9}", $"{Progress.Text(s, "model")} on {Progress.Text(s, "datasetId")}" };
        if (Progress.Number(s, "epoch") is { } epoch) parts.Add(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{Progress.Number(s, "epochs")}"));
        if (Progress.Number(s, "shardsTotal") is { } total && total > 0) parts.Add(string.Create(CultureInfo.InvariantCulture, $"shards {Progress.Number(s, "shardsDone")}/{total} ({Progress.Number(s, "shardsRunning")} running)"));
        if (Progress.Number(s, "latestLoss") is { } loss) parts.Add(string.Create(CultureInfo.InvariantCulture, $"loss {loss:G4}"));
        if (Progress.Number(s, "samplesPerSecond") is { } rate) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{rate:N0} samples/s"));
        if (Progress.Number(s, "progress") is { } fraction) parts.Add(string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:F0}%"));
        if (Progress.Number(s, "etaSeconds") is { } eta && string.Equals(Progress.Text(s, "state"), "running", StringComparison.OrdinalIgnoreCase)) parts.Add(string.Create(CultureInfo.InvariantCulture, $"ETA {eta:F0} s"));
        var line = string.Join("  ", parts);
        return Progress.Text(s, "error") is { } error ? $"{line}: {error}" : line;
    }

    private static bool? Finished(JsonNode s) => Progress.Text(s, "state")?.ToLowerInvariant() switch
    {
        "completed" => true,
        "failed" or "cancelled" => false,
        _ => null,
    };
}
