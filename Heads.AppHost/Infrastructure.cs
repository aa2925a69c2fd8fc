using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Heads.AppHost;

/// <summary>The broker and blob storage the services share, whichever way they run.</summary>
public sealed record HeadsInfrastructure(
    IResourceBuilder<IResourceWithConnectionString> RabbitMq,
    IResourceBuilder<IResourceWithConnectionString> Blobs);

/// <summary>
/// RabbitMQ and Azurite. Without a container runtime (the default, and all this machine has) they run as executables:
/// Debian's rabbitmq-server in the foreground with its own epmd, and Azurite from the local tools folder, each with a
/// data folder under one state directory and bound to 127.0.0.1. With <c>Heads:Infrastructure=containers</c> the stock
/// container images are used instead. Either way the services get <c>ConnectionStrings__rabbitmq</c> and
/// <c>ConnectionStrings__blobs</c>.
/// </summary>
public static class Infrastructure
{
    public const string RabbitMqName = "rabbitmq";
    public const string BlobsName = "blobs";

    // Azurite's well-known development account; it only ever guards a loopback emulator.
    internal const string DevelopmentAccount = "devstoreaccount1";
    internal const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static HeadsInfrastructure AddHeadsInfrastructure(this IDistributedApplicationBuilder builder)
    {
        var mode = builder.Configuration["Heads:Infrastructure"] ?? "executables";
        return mode.ToLowerInvariant() switch
        {
            "executables" => AddExecutables(builder),
            "containers" => AddContainers(builder),
            _ => throw new InvalidOperationException($"Heads:Infrastructure must be 'executables' or 'containers', not '{mode}'."),
        };
    }

    public static string RepositoryRoot(IDistributedApplicationBuilder builder) =>
        Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));

    public static string StateDirectory(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["Heads:StateDirectory"];
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(RepositoryRoot(builder), ".state") : configured);
    }

    private static HeadsInfrastructure AddExecutables(IDistributedApplicationBuilder builder)
    {
        var state = StateDirectory(builder);
        var rabbitDir = Directory.CreateDirectory(Path.Combine(state, "rabbitmq")).FullName;
        var azuriteDir = Directory.CreateDirectory(Path.Combine(state, "azurite")).FullName;
        var pluginsFile = Path.Combine(rabbitDir, "enabled_plugins");
        if (!File.Exists(pluginsFile)) File.WriteAllText(pluginsFile, "[].\n");
        var shared = SharedMode.From(builder.Configuration, state);

        int amqpPort = shared?.BrokerPort ?? PortOrFree(builder, "Heads:RabbitMq:Port");
        int distPort = LoopbackPort.Free();
        int epmdPort = LoopbackPort.Free();
        int blobPort = shared?.StoragePort ?? PortOrFree(builder, "Heads:Azurite:Port");
        WriteRabbitMqConfig(rabbitDir, shared, amqpPort);
        string blobHost = shared?.Address.ToString() ?? "127.0.0.1";

        const string rabbitServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
        if (!File.Exists(rabbitServer))
            throw new InvalidOperationException($"{rabbitServer} not found: install Debian's rabbitmq-server (./run.sh does) or set Heads:Infrastructure=containers.");
        var azuriteBin = Path.Combine(RepositoryRoot(builder), ".tools", "azurite", "node_modules", ".bin", "azurite-blob");
        if (!File.Exists(azuriteBin))
            throw new InvalidOperationException($"{azuriteBin} not found: run ./run.sh or scripts/install-prerequisites.sh to install Azurite.");

        // epmd in the foreground, owned by the AppHost, so nothing outlives the stack (rabbitmq-server would
        // otherwise start a daemonised epmd that keeps running).
        var epmd = builder.AddExecutable("epmd", "epmd", rabbitDir, "-port", Text(epmdPort), "-address", "127.0.0.1")
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .ExcludeFromManifest();

        var rabbit = new RabbitMqExecutableResource(RabbitMqName, rabbitServer, rabbitDir,
            shared?.Credentials.BrokerUser ?? "guest", shared?.Credentials.BrokerPassword ?? "guest");
        var rabbitHealth = $"{RabbitMqName}-amqp";
        builder.Services.AddHealthChecks().AddAsyncCheck(rabbitHealth, ct => TcpHealth(IPAddress.Loopback, amqpPort, ct));
        var rabbitBuilder = builder.AddResource(rabbit)
            .WithEndpoint(RabbitMqExecutableResource.EndpointName, e =>
            {
                e.Port = amqpPort;
                e.TargetPort = amqpPort;
                e.UriScheme = "amqp";
                e.IsProxied = false;
                e.TargetHost = "127.0.0.1";
            })
            .WithEnvironment("HOME", rabbitDir) // the Erlang cookie lives here
            .WithEnvironment("RABBITMQ_NODENAME", "heads@localhost")
            .WithEnvironment("RABBITMQ_DIST_PORT", Text(distPort))
            .WithEnvironment("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-kernel inet_dist_use_interface {127,0,0,1}")
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(rabbitDir, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(rabbitDir, "log"))
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", pluginsFile)
            .WithEnvironment("RABBITMQ_CONFIG_FILE", Path.Combine(rabbitDir, "rabbitmq"))
            .WithEnvironment("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(rabbitDir, "advanced.config"))
            .WithEnvironment("ERL_EPMD_PORT", Text(epmdPort))
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithHealthCheck(rabbitHealth)
            .WaitFor(epmd)
            .ExcludeFromManifest();
        // Loopback only, unless shared mode lists its listeners in rabbitmq.conf (these variables would override them).
        if (shared is null)
            rabbitBuilder.WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1").WithEnvironment("RABBITMQ_NODE_PORT", Text(amqpPort));

        var blobs = new AzuriteExecutableResource(BlobsName, azuriteBin, azuriteDir, blobHost,
            shared?.Credentials.StorageAccount ?? DevelopmentAccount, shared?.Credentials.StorageKey ?? DevelopmentKey);
        var blobHealth = $"{BlobsName}-http";
        builder.Services.AddHealthChecks().AddAsyncCheck(blobHealth, ct => TcpHealth(IPAddress.Parse(blobHost), blobPort, ct));
        var blobsBuilder = builder.AddResource(blobs)
            .WithEndpoint(AzuriteExecutableResource.EndpointName, e =>
            {
                e.Port = blobPort;
                e.TargetPort = blobPort;
                e.UriScheme = "http";
                e.IsProxied = false;
                e.TargetHost = blobHost;
            })
            .WithArgs("--blobHost", blobHost, "--blobPort", Text(blobPort), "--location", azuriteDir,
                "--skipApiVersionCheck", "--disableTelemetry", "--loose")
            .WithHealthCheck(blobHealth)
            .ExcludeFromManifest();
        // Only the generated account exists then: the published development key opens nothing.
        if (shared is not null)
            blobsBuilder.WithEnvironment("AZURITE_ACCOUNTS", $"{shared.Credentials.StorageAccount}:{shared.Credentials.StorageKey}");

        if (shared is not null) AnnounceJoinCommand(builder, shared);
        return new HeadsInfrastructure(rabbitBuilder.AsConnectionString(), blobsBuilder.AsConnectionString());
    }

    /// <summary>
    /// The command that adds a trainer on another machine: printed on the AppHost's console, and a secret parameter
    /// (masked until revealed) on the dashboard, since it carries the credentials.
    /// </summary>
    private static void AnnounceJoinCommand(IDistributedApplicationBuilder builder, SharedMode shared)
    {
        // The generated secrets as secret parameters too: masked on the dashboard until revealed, never in a manifest.
        builder.AddParameter("rabbitmq-password", shared.Credentials.BrokerPassword, secret: true).ExcludeFromManifest();
        builder.AddParameter("storage-key", shared.Credentials.StorageKey, secret: true).ExcludeFromManifest();
        builder.AddParameter("worker-join-command", shared.JoinCommand, secret: true).ExcludeFromManifest();
        Console.WriteLine($"Shared mode: broker amqp://{shared.Address}:{shared.BrokerPort}, storage http://{shared.Address}:{shared.StoragePort}; " +
            $"credentials in {Path.Combine(StateDirectory(builder), "shared", "credentials.json")}.");
        Console.WriteLine("Add a trainer on another machine (a clone of this repository at the same commit) with:");
        Console.WriteLine("  " + shared.JoinCommand);
    }

    /// <summary>
    /// Training consumers hold a message for as long as a shard or job trains; the broker's default consumer timeout
    /// (30 min) would close their channel, so it is raised to a day. guest stays loopback-only (the default). Without
    /// shared mode the broker listens on loopback only (RABBITMQ_NODE_IP_ADDRESS and _PORT); in shared mode on loopback
    /// and the shared address, with the generated user loaded from a definitions file at every start.
    /// </summary>
    internal static void WriteRabbitMqConfig(string rabbitDir, SharedMode? shared, int loopbackPort)
    {
        var config = new StringBuilder("consumer_timeout = 86400000\nloopback_users.guest = true\n");
        if (shared is not null)
        {
            config.Append(CultureInfo.InvariantCulture, $"listeners.tcp.1 = 127.0.0.1:{loopbackPort}\n");
            var definitions = Path.Combine(rabbitDir, "definitions.json");
            SharedCredentials.WriteSecret(definitions, shared.Credentials.BrokerDefinitions());
            config.Append(CultureInfo.InvariantCulture, $"listeners.tcp.2 = {shared.Address}:{shared.BrokerPort}\n");
            config.Append(CultureInfo.InvariantCulture, $"load_definitions = {definitions}\n");
        }
        File.WriteAllText(Path.Combine(rabbitDir, "rabbitmq.conf"), config.ToString());
    }

    private static HeadsInfrastructure AddContainers(IDistributedApplicationBuilder builder)
    {
        var rabbit = builder.AddRabbitMQ(RabbitMqName).WithDataVolume();
        var azurite = new AzuriteContainerResource(BlobsName);
        var blobs = builder.AddResource(azurite)
            .WithImage("azure-storage/azurite", "3.35.0")
            .WithImageRegistry("mcr.microsoft.com")
            .WithArgs("azurite-blob", "--blobHost", "0.0.0.0", "--blobPort", "10000", "--skipApiVersionCheck", "--disableTelemetry", "--loose")
            .WithEndpoint(AzuriteContainerResource.EndpointName, e =>
            {
                e.TargetPort = 10000;
                e.UriScheme = "http";
            });
        return new HeadsInfrastructure(rabbit.AsConnectionString(), blobs.AsConnectionString());
    }

    private static IResourceBuilder<IResourceWithConnectionString> AsConnectionString<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithConnectionString => (IResourceBuilder<IResourceWithConnectionString>)(object)builder;

    private static async Task<HealthCheckResult> TcpHealth(IPAddress host, int port, CancellationToken ct)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(host, port, timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{host}:{port} not accepting connections yet.");
        }
    }

    private static int PortOrFree(IDistributedApplicationBuilder builder, string key)
    {
        var configured = builder.Configuration.GetValue(key, 0);
        return configured > 0 ? configured : LoopbackPort.Free();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Debian's rabbitmq-server run in the foreground.</summary>
public sealed class RabbitMqExecutableResource(string name, string command, string workingDirectory, string user, string password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "amqp";

    public EndpointReference Amqp => new(this, EndpointName);

    // The local services connect over loopback: as guest (loopback-only) by default, as the generated user in shared mode.
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"amqp://{user}:{password}@127.0.0.1:{Amqp.Property(EndpointProperty.Port)}/");
}

/// <summary>Azurite's blob service from the local npm tools folder.</summary>
public sealed class AzuriteExecutableResource(string name, string command, string workingDirectory, string host, string account, string key)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string EndpointName = "blob";

    public EndpointReference Blob => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={account};AccountKey={key};BlobEndpoint=http://{host}:{Blob.Property(EndpointProperty.Port)}/{account};");
}

/// <summary>Azurite's container image, for machines with a container runtime.</summary>
public sealed class AzuriteContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    internal const string EndpointName = "blob";

    public EndpointReference Blob => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"DefaultEndpointsProtocol=http;AccountName={Infrastructure.DevelopmentAccount};AccountKey={Infrastructure.DevelopmentKey};BlobEndpoint={Blob.Property(EndpointProperty.Url)}/{Infrastructure.DevelopmentAccount};");
}
