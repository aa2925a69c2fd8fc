using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Heads.Testing;

/// <summary>
/// Real RabbitMQ (Debian's rabbitmq-server with its own epmd) and Azurite processes on free loopback ports, in a
/// private temporary folder, stopped and removed on dispose. Service tests point their hosts at
/// <see cref="RabbitMqConnectionString"/> and <see cref="BlobsConnectionString"/>.
/// </summary>
public sealed class RealInfrastructure : IAsyncLifetime
{
    private const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "heads-infra-" + Guid.NewGuid().ToString("N"));
    private readonly List<Process> _processes = [];
    private readonly StringBuilder _log = new();

    // Ports are chosen once: a restarted broker or storage comes back where its clients expect it.
    private int _epmdPort, _distPort;
    private Process? _epmd;

    public int AmqpPort { get; private set; }
    public int BlobPort { get; private set; }
    public string RabbitMqConnectionString => $"amqp://guest:guest@127.0.0.1:{AmqpPort}/";
    public string BlobsConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteKey};BlobEndpoint=http://127.0.0.1:{BlobPort}/devstoreaccount1;";

    /// <summary>Configuration keys a service host needs to reach this infrastructure.</summary>
    public IReadOnlyDictionary<string, string?> ConnectionStrings => new Dictionary<string, string?>
    {
        ["ConnectionStrings:rabbitmq"] = RabbitMqConnectionString,
        ["ConnectionStrings:blobs"] = BlobsConnectionString,
    };

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        await StartAzuriteAsync();
        await StartRabbitMqAsync();
    }

    /// <summary>Starts Azurite, or starts it again after <see cref="StopAsync"/>: same port, same data folder (blobs survive).</summary>
    public async Task StartAzuriteAsync()
    {
        if (BlobPort == 0) BlobPort = FreePort();
        var azurite = Path.Combine(RepositoryRoot(), ".tools", "azurite", "node_modules", ".bin", "azurite-blob");
        if (!File.Exists(azurite)) throw new InvalidOperationException($"{azurite} is missing: run scripts/install-prerequisites.sh.");
        var data = Directory.CreateDirectory(Path.Combine(_root, "azurite")).FullName;
        Start("azurite", azurite, ["--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(), "--location", data, "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent"], new());
        await WaitForPortAsync(BlobPort, TimeSpan.FromSeconds(30), "Azurite");
    }

    /// <summary>
    /// Starts RabbitMQ, or starts it again after <see cref="StopAsync"/>: same node name, ports, epmd and data folder, so
    /// durable queues and their persistent messages come back.
    /// </summary>
    public async Task StartRabbitMqAsync()
    {
        if (AmqpPort == 0) (AmqpPort, _epmdPort, _distPort) = (FreePort(), FreePort(), FreePort());
        var dir = Directory.CreateDirectory(Path.Combine(_root, "rabbitmq")).FullName;
        var plugins = Path.Combine(dir, "enabled_plugins");
        File.WriteAllText(plugins, "[].\n");
        // Training consumers hold a message while they train; the default 30-minute consumer timeout is too short.
        File.WriteAllText(Path.Combine(dir, "rabbitmq.conf"), "consumer_timeout = 86400000\nloopback_users.guest = true\n");
        int epmdPort = _epmdPort, distPort = _distPort;
        // epmd outlives a broker restart (a real host's epmd does too); a second one could not bind its port.
        if (_epmd is null || _epmd.HasExited)
            _epmd = Start("epmd", "epmd", ["-port", epmdPort.ToString(), "-address", "127.0.0.1"], new() { ["ERL_EPMD_ADDRESS"] = "127.0.0.1" });
        Start("rabbitmq", "/usr/lib/rabbitmq/bin/rabbitmq-server", [], new()
        {
            ["HOME"] = dir,
            ["RABBITMQ_NODENAME"] = "heads-test@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = AmqpPort.ToString(),
            ["RABBITMQ_DIST_PORT"] = distPort.ToString(),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(dir, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(dir, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins,
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(dir, "rabbitmq"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(dir, "advanced.config"),
            ["ERL_EPMD_PORT"] = epmdPort.ToString(),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        });
        await WaitForPortAsync(AmqpPort, TimeSpan.FromSeconds(60), "RabbitMQ");
    }

    /// <summary>Stops the named process (rabbitmq or azurite), e.g. to test a restart in the middle of work.</summary>
    public async Task StopAsync(string name)
    {
        foreach (var p in _processes.Where(p => p.StartInfo.Environment.TryGetValue("HEADS_TEST_PROCESS", out var n) && n == name).ToList())
        {
            await TerminateAsync(p);
            _processes.Remove(p);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in Enumerable.Reverse(_processes).ToList()) await TerminateAsync(p);
        _processes.Clear();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    private Process Start(string name, string file, string[] args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _root };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        psi.Environment["HEADS_TEST_PROCESS"] = name;
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine($"[{name}] {e.Data}"); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine($"[{name}] {e.Data}"); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _processes.Add(p);
        return p;
    }

    private static async Task TerminateAsync(Process p)
    {
        if (p.HasExited) return;
        // SIGTERM lets rabbitmq-server stop its Erlang VM; kill the tree if it does not exit in time.
        using (var term = Process.Start("kill", ["-TERM", p.Id.ToString()])) await term!.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await p.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
    }

    private async Task WaitForPortAsync(int port, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(200);
            }
        }
        throw new TimeoutException($"{what} did not open 127.0.0.1:{port} in {timeout.TotalSeconds} s. Output:\n{Log}");
    }

    /// <summary>A loopback port below the kernel's ephemeral range (see <see cref="Heads.AppHost.LoopbackPort"/>).</summary>
    public static int FreePort() => Heads.AppHost.LoopbackPort.Free();

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Heads.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Heads.sln not found above " + AppContext.BaseDirectory);
    }
}
