using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Heads.Cli.Services;

namespace Heads.Cli.Commands;

/// <summary><c>heads scrape</c>: starts a scrape on the scraper service and follows it to the end; status and cancel.</summary>
public static class ScrapeCommand
{
    private const string Api = "api/v1/scrapes";

    public static Command Create()
    {
        var server = CommonOptions.Server("scraper", ServiceAddresses.Scraper);
        var count = new Option<int>("--count", "-n") { Description = "Heads to scrape.", DefaultValueFactory = _ => 10 };
        var source = new Option<string>("--source") { Description = "synthetic (default), http or folder, as configured on the scraper.", DefaultValueFactory = _ => "synthetic" };
        var seed = new Option<long?>("--seed") { Description = "First seed of synthetic heads (default 1)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the scrape id and return at once." };
        var interval = Interval();
        var command = new Command("scrape", "Starts a scrape (POST /api/v1/scrapes) and prints its progress until it is done. Subcommands: status, cancel.")
        {
            server, count, source, seed, noWait, interval,
        };
        CommandAction.Set(command, async (result, ct) =>
        {
            using var client = Client(result, server);
            var (body, _) = await client.PostJsonAsync(Api, new { count = result.GetValue(count), source = result.GetValue(source), seed = result.GetValue(seed) }, ct);
            var id = Progress.Text(body, "scrapeId") ?? throw new InputException("the scraper answered without a scrapeId.");
            Console.WriteLine($"scrape {id} queued: {result.GetValue(count)} heads from {Progress.Text(body, "source")}");
            if (result.GetValue(noWait)) return;
            await Progress.FollowAsync(client, $"scrape {id}", $"{Api}/{id}", Line, Finished, Progress.Interval(result.GetValue(interval)), ct);
        });

        var statusId = new Argument<Guid?>("ID") { Description = "A scrape id (default: list the scraper's scrapes).", Arity = ArgumentArity.ZeroOrOne };
        var statusServer = CommonOptions.Server("scraper", ServiceAddresses.Scraper);
        var status = new Command("status", "One scrape's progress, or every scrape this scraper knows.") { statusId, statusServer };
        CommandAction.Set(status, async (result, ct) =>
        {
            using var client = Client(result, statusServer);
            if (result.GetValue(statusId) is { } id)
            {
                Console.WriteLine($"{id}  {Line((await client.GetJsonAsync($"{Api}/{id}", ct))!)}");
                return;
            }
            foreach (var s in (await client.GetJsonAsync(Api, ct)) as JsonArray ?? [])
                Console.WriteLine($"{Progress.Text(s, "scrapeId")}  {Line(s!)}");
        });

        var cancelId = new Argument<Guid>("ID") { Description = "The scrape to cancel." };
        var cancelServer = CommonOptions.Server("scraper", ServiceAddresses.Scraper);
        var cancel = new Command("cancel", "Cancels a running scrape (DELETE /api/v1/scrapes/{id}).") { cancelId, cancelServer };
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

    public static Option<double> Interval() => new("--interval") { Description = "Seconds between progress polls.", DefaultValueFactory = _ => 1.0 };

    private static ServiceClient Client(ParseResult result, Option<string?> server) =>
        new("scraper", result.GetValue(server), ServiceAddresses.Scraper, TimeSpan.FromSeconds(60));

    private static string Line(JsonNode s)
    {
        var state = Progress.Text(s, "state") ?? "?";
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{state,-9} {Progress.Number(s, "done") ?? 0}/{Progress.Number(s, "requested") ?? 0} heads (stored {Progress.Number(s, "stored") ?? 0}, already present {Progress.Number(s, "alreadyPresent") ?? 0}, failed {Progress.Number(s, "failed") ?? 0}), {Progress.Number(s, "headsPerSecond") ?? 0:F1} heads/s");
        return Progress.Text(s, "error") is { } error ? $"{line}: {error}" : line;
    }

    private static bool? Finished(JsonNode s) => Progress.Text(s, "state")?.ToLowerInvariant() switch
    {
        "completed" => true,
        "failed" or "cancelled" => false,
        _ => null,
    };
}
