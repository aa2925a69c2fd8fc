using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Heads.AppHost;

/// <summary>
/// Shared mode (<c>Heads:Shared:Address</c>, off by default): the broker and blob storage also listen on one address of
/// this machine so trainers on other machines can join, guarded by credentials generated on first use and kept in the
/// state folder (never in the repository): a RabbitMQ user and password (guest stays loopback-only) and an Azurite
/// account and key (the published development key no longer opens anything). The dashboard and the service APIs stay
/// on loopback.
/// </summary>
public sealed record SharedMode(IPAddress Address, int BrokerPort, int StoragePort, SharedCredentials Credentials)
{
    public const int DefaultBrokerPort = 5672;
    public const int DefaultStoragePort = 10000;

    /// <summary>Null unless <c>Heads:Shared:Address</c> is set; the address must belong to this machine.</summary>
    public static SharedMode? From(IConfiguration configuration, string stateDirectory)
    {
        var text = configuration["Heads:Shared:Address"];
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!IPAddress.TryParse(text, out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw new InvalidOperationException($"Heads:Shared:Address must be an IPv4 address of this machine; it was '{text}'.");
        if (address.Equals(IPAddress.Any))
            throw new InvalidOperationException("Heads:Shared:Address must be one address other machines reach: shared mode never listens on every interface (0.0.0.0).");
        if (IPAddress.IsLoopback(address))
            throw new InvalidOperationException($"Heads:Shared:Address must be an address other machines reach, not loopback ({address}).");
        var local = NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(u => u.Address);
        if (!local.Contains(address))
            throw new InvalidOperationException($"Heads:Shared:Address {address} is not an address of this machine (see `ip -4 addr`).");
        int broker = Port(configuration, "Heads:RabbitMq:Port", DefaultBrokerPort);
        int storage = Port(configuration, "Heads:Azurite:Port", DefaultStoragePort);
        return new SharedMode(address, broker, storage, SharedCredentials.LoadOrCreate(Path.Combine(stateDirectory, "shared")));
    }

    public string BrokerUri(string host) => $"amqp://{Credentials.BrokerUser}:{Credentials.BrokerPassword}@{host}:{BrokerPort}/";

    public string StorageConnectionString => string.Create(CultureInfo.InvariantCulture,
        $"DefaultEndpointsProtocol=http;AccountName={Credentials.StorageAccount};AccountKey={Credentials.StorageKey};BlobEndpoint=http://{Address}:{StoragePort}/{Credentials.StorageAccount};");

    /// <summary>What another machine runs, from a clone of this repository at the same commit, to add a trainer.</summary>
    public string JoinCommand =>
        $"dotnet run -c Release --project Trainer.Service -- --ConnectionStrings:rabbitmq=\"{BrokerUri(Address.ToString())}\" " +
        $"--ConnectionStrings:blobs=\"{StorageConnectionString}\" --Trainer:Worker=true";

    private static int Port(IConfiguration configuration, string key, int fallback)
    {
        int port = configuration.GetValue(key, 0);
        if (port is < 0 or > 65535) throw new InvalidOperationException($"{key} must be a port from 1 to 65535; it was {port}.");
        return port > 0 ? port : fallback;
    }
}

/// <summary>The shared mode's generated secrets, in <c>credentials.json</c> (mode 600) of the state folder's <c>shared</c> directory.</summary>
public sealed record SharedCredentials(string BrokerUser, string BrokerPassword, string StorageAccount, string StorageKey)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static SharedCredentials LoadOrCreate(string folder)
    {
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "credentials.json");
        if (File.Exists(file))
            return JsonSerializer.Deserialize<SharedCredentials>(File.ReadAllText(file), Json)
                ?? throw new InvalidDataException($"{file} is empty; delete it to generate new credentials.");
        var created = new SharedCredentials(
            "heads-" + Token(6),
            Token(32),
            "heads" + Token(8),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)));
        WriteSecret(file, JsonSerializer.Serialize(created, Json));
        return created;
    }

    /// <summary>Writes <paramref name="text"/> under a temporary name readable by the owner only, then moves it into place.</summary>
    public static void WriteSecret(string path, string text)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
            stream.Write(Encoding.UTF8.GetBytes(text));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The broker's definitions file: the generated user with full rights on the default vhost (RabbitMQ's salted SHA-256 hash).</summary>
    public string BrokerDefinitions()
    {
        var salt = RandomNumberGenerator.GetBytes(4);
        var hash = SHA256.HashData([.. salt, .. Encoding.UTF8.GetBytes(BrokerPassword)]);
        var definitions = new
        {
            users = new[] { new { name = BrokerUser, password_hash = Convert.ToBase64String([.. salt, .. hash]), hashing_algorithm = "rabbit_password_hashing_sha256", tags = "" } },
            vhosts = new[] { new { name = "/" } },
            permissions = new[] { new { user = BrokerUser, vhost = "/", configure = ".*", write = ".*", read = ".*" } },
        };
        return JsonSerializer.Serialize(definitions);
    }

    /// <summary>Lower-case letters and digits only: they need no escaping in a URI or a connection string.</summary>
    private static string Token(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }
}
