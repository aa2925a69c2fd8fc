using System.Text;
using RabbitMQ.Client;

namespace Heads.Testing;

/// <summary>A message MassTransit moved to a <c>_error</c> queue: its fault headers and its JSON envelope.</summary>
public sealed record FaultedMessage(string Queue, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The consumer's exception message (MassTransit's MT-Fault-Message header).</summary>
    public string Reason => Headers.GetValueOrDefault("MT-Fault-Message", "");

    public string ExceptionType => Headers.GetValueOrDefault("MT-Fault-ExceptionType", "");
}

/// <summary>
/// Reads a queue straight from the broker over AMQP (there is no management plugin): what the bus put in a service's
/// <c>&lt;queue&gt;_error</c> queue after a consumer gave up on a message.
/// </summary>
public static class ErrorQueue
{
    /// <summary>Takes every message now in <paramref name="queue"/> (acknowledging them) and returns them.</summary>
    public static async Task<List<FaultedMessage>> DrainAsync(string amqpUri, string queue, CancellationToken ct = default)
    {
        var factory = new ConnectionFactory { Uri = new Uri(amqpUri) };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        var messages = new List<FaultedMessage>();
        while (await NextAsync(channel, queue, ct) is { } result)
        {
            var headers = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in result.BasicProperties.Headers ?? new Dictionary<string, object?>())
                headers[key] = value switch
                {
                    byte[] bytes => Encoding.UTF8.GetString(bytes),
                    null => "",
                    _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                };
            messages.Add(new FaultedMessage(queue, headers, Encoding.UTF8.GetString(result.Body.Span)));
        }
        return messages;
    }

    private static async Task<BasicGetResult?> NextAsync(IChannel channel, string queue, CancellationToken ct)
    {
        try
        {
            return await channel.BasicGetAsync(queue, autoAck: true, ct);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            // The bus declares an error queue when it first moves a message there.
            return null;
        }
    }

    /// <summary>Polls <paramref name="queue"/> until <paramref name="match"/> is among what arrived; returns everything drained.</summary>
    public static async Task<List<FaultedMessage>> WaitForAsync(string amqpUri, string queue, Func<List<FaultedMessage>, bool> match, TimeSpan timeout, CancellationToken ct = default)
    {
        var seen = new List<FaultedMessage>();
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            seen.AddRange(await DrainAsync(amqpUri, queue, ct));
            if (match(seen)) return seen;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{queue} did not receive the expected messages in {timeout.TotalSeconds} s; it had {seen.Count}: " +
                    string.Join(" | ", seen.Select(m => m.Reason)));
            await Task.Delay(200, ct);
        }
    }
}
