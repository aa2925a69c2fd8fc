using System.Diagnostics;

namespace Heads.Cluster.Tests;

/// <summary>
/// A second host on this machine: a network namespace joined to the host by a veth pair whose two ends have the only
/// addresses on that link (a /30 of 10.0.0.0/8). Processes started inside it see only its loopback and its end of the
/// pair, as a machine on a network with the first one. Created by root with iproute2; both are removed on dispose.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private NetworkNamespace(string name, string hostLink, string hostAddress, string innerAddress) =>
        (Name, HostLink, HostAddress, InnerAddress) = (name, hostLink, hostAddress, innerAddress);

    public string Name { get; }
    public string HostLink { get; }
    /// <summary>The host's end of the pair: what the first machine's broker and storage bind in shared mode.</summary>
    public string HostAddress { get; }
    public string InnerAddress { get; }

    /// <summary>Why this machine cannot make one (not root, no iproute2), or null.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (Environment.UserName != "root") return "creating a network namespace needs root";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/usr/bin/ip") && !File.Exists("/sbin/ip")) return "iproute2 (ip) is not installed";
        return null;
    }

    public static async Task<NetworkNamespace> CreateAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        int subnet = Random.Shared.Next(0, 1 << 14) * 4; // a /30 inside 10.200.0.0/16..10.255.255.252
        string Address(int host) => $"10.{200 + (subnet >> 16) % 56}.{(subnet >> 8) & 255}.{(subnet & 255) + host}";
        var created = new NetworkNamespace($"heads-{id}", $"hh{id}", Address(1), Address(2));
        try
        {
            await IpAsync("netns", "add", created.Name);
            await IpAsync("link", "add", created.HostLink, "type", "veth", "peer", "name", $"hn{id}");
            await IpAsync("link", "set", $"hn{id}", "netns", created.Name);
            await IpAsync("addr", "add", created.HostAddress + "/30", "dev", created.HostLink);
            await IpAsync("link", "set", created.HostLink, "up");
            await IpAsync("-n", created.Name, "addr", "add", created.InnerAddress + "/30", "dev", $"hn{id}");
            await IpAsync("-n", created.Name, "link", "set", $"hn{id}", "up");
            await IpAsync("-n", created.Name, "link", "set", "lo", "up");
            return created;
        }
        catch
        {
            await created.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <paramref name="command"/> with bash inside the namespace, from <paramref name="directory"/>.</summary>
    public Process Start(string command, string directory, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("ip") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", Name, "bash", "-c", command]) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment) psi.Environment[key] = value;
        return Process.Start(psi) ?? throw new InvalidOperationException("ip netns exec did not start.");
    }

    public async ValueTask DisposeAsync()
    {
        // Deleting the namespace deletes its end of the pair, and with it the host's end; delete that too in case.
        await IpAsync(tolerant: true, "netns", "delete", Name);
        await IpAsync(tolerant: true, "link", "delete", HostLink);
    }

    public static async Task<bool> ExistsAsync(string name) => (await RunAsync("ip", ["netns", "list"])).Output.Contains(name, StringComparison.Ordinal);

    public static async Task<bool> LinkExistsAsync(string link) => (await RunAsync("ip", ["link", "show", link])).ExitCode == 0;

    private static Task IpAsync(params string[] args) => IpAsync(false, args);

    private static async Task IpAsync(bool tolerant, params string[] args)
    {
        var (code, output) = await RunAsync("ip", args);
        if (code != 0 && !tolerant) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({code}): {output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
