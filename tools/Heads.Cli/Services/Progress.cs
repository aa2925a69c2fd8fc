using System.Text.Json.Nodes;

namespace Heads.Cli.Services;

/// <summary>Polls a status resource until it reaches a final state, printing a line whenever the status line changes.</summary>
public static class Progress
{
    /// <param name="what">Names the job in the failure message, e.g. "scrape {id}".</param>
    /// <param name="line">The status as one line.</param>
    /// <param name="finished">Null while running; true when it succeeded, false when it failed or was cancelled.</param>
    public static async Task<JsonNode> FollowAsync(ServiceClient client, string what, string path, Func<JsonNode, string> line, Func<JsonNode, bool?> finished,
        TimeSpan interval, CancellationToken ct)
    {
        string? last = null;
        while (true)
        {
            var status = await client.GetJsonAsync(path, ct) ?? throw new InputException($"the {client.Service} answered {path} with an empty body.");
            var text = line(status);
            if (text != last) Console.WriteLine($"{DateTime.Now:HH:mm:ss}  {text}");
            last = text;
            switch (finished(status))
            {
                case true:
                    return status;
                case false:
                    throw new JobFailedException($"{what} ended: {text}");
            }
            await Task.Delay(interval, ct);
        }
    }

    public static string? Text(JsonNode? node, string name) => node?[name] switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        null => null,
        var other => other.ToJsonString(),
    };

    public static double? Number(JsonNode? node, string name) =>
        node?[name] is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    public static TimeSpan Interval(double seconds) => seconds is >= 0.05 and <= 3600
        ? TimeSpan.FromSeconds(seconds)
        : throw new InputException($"--interval must be within 0.05..3600 seconds; it was {seconds}.");
}
