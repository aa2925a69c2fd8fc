using Azure;
using Azure.Storage.Blobs;
using Heads.Core.Contracts;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Trainer.Service.Jobs;

namespace Trainer.Service.Cluster;

/// <summary>
/// A worker (<c>Trainer:Worker=true</c>, a trainer on another machine) checks, before it takes any message, that it can
/// reach the broker with its credentials, that storage accepts its key, and that the shared stack runs its contract and
/// model versions. Any failure is one line on standard error and exit code 2; nothing is retried, since a wrong
/// password or another build does not heal by waiting.
/// </summary>
public static class WorkerPreflight
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>True when this process is not a worker or every check passed; otherwise the reason is written.</summary>
    public static async Task<bool> PassesAsync(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TrainerOptions>>().Value;
        if (!options.Worker) return true;
        var logger = app.Services.GetRequiredService<ILogger<TrainerOptions>>();
        var failure = await CheckBrokerAsync(app.Configuration.GetConnectionString("rabbitmq"))
            ?? await CheckStorageAsync(app.Configuration.GetConnectionString("blobs"));
        if (failure is not null)
        {
            await Console.Error.WriteLineAsync("Worker cannot join: " + failure);
            return false;
        }
        logger.LogInformation("Worker {Replica} joined the shared stack ({Compatibility}); {Threads} torch threads on {Cores} cores",
            options.EffectiveReplicaName, HeadsCompatibility.Current, options.EffectiveTorchThreads, Environment.ProcessorCount);
        return true;
    }

    internal static async Task<string?> CheckBrokerAsync(string? connectionString)
    {
        if (!Uri.TryCreate(connectionString, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            return "ConnectionStrings:rabbitmq must be an amqp:// URI with the user and password the first machine printed.";
        var where = $"{uri.Host}:{(uri.IsDefaultPort ? 5672 : uri.Port)}";
        var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
        var factory = new ConnectionFactory { Uri = uri, RequestedConnectionTimeout = Timeout, AutomaticRecoveryEnabled = false };
        try
        {
            using var cancel = new CancellationTokenSource(Timeout * 2);
            await using var connection = await factory.CreateConnectionAsync(cancel.Token);
            await connection.CloseAsync();
            return null;
        }
        catch (Exception e) when (Find<AuthenticationFailureException>(e) is not null)
        {
            return $"the broker at {where} refused user '{user}': wrong user or password (use the credentials the first machine printed; guest works only on the broker's own machine).";
        }
        catch (Exception e) when (e is BrokerUnreachableException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return $"the broker at {where} is unreachable ({Innermost(e).Message}).";
        }
    }

    internal static async Task<string?> CheckStorageAsync(string? connectionString)
    {
        BlobContainerClient cluster;
        string where;
        try
        {
            var client = new BlobServiceClient(connectionString, new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = Timeout } });
            where = client.Uri.ToString();
            cluster = client.GetBlobContainerClient(HeadsCompatibility.ContainerName);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or ArgumentNullException)
        {
            return "ConnectionStrings:blobs must be the storage connection string the first machine printed.";
        }
        HeadsCompatibility stored;
        try
        {
            var blob = await cluster.GetBlobClient(HeadsCompatibility.BlobName).DownloadContentAsync();
            stored = HeadsCompatibility.Parse(blob.Value.Content.ToMemory().Span);
        }
        catch (RequestFailedException e) when (e.Status == 403)
        {
            return $"storage at {where} refused the account key ({e.ErrorCode}): use the connection string the first machine printed.";
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return $"storage at {where} holds no {HeadsCompatibility.ContainerName}/{HeadsCompatibility.BlobName}: start the first machine's AppHost in shared mode before adding workers.";
        }
        catch (RequestFailedException e) when (e.Status == 0)
        {
            return $"storage at {where} is unreachable ({Innermost(e).Message}).";
        }
        catch (Exception e) when (e is AggregateException or System.Net.Http.HttpRequestException or OperationCanceledException)
        {
            return $"storage at {where} is unreachable ({Innermost(e).Message}).";
        }
        catch (System.Text.Json.JsonException e)
        {
            return $"storage at {where} holds an unreadable compatibility document ({e.Message}).";
        }
        if (!HeadsCompatibility.Current.CompatibleWith(stored))
            return $"this worker runs {HeadsCompatibility.Current}; the shared stack runs {stored}. Check out the first machine's commit and build again.";
        return null;
    }

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
