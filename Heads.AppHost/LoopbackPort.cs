using System.Net;
using System.Net.Sockets;

namespace Heads.AppHost;

/// <summary>
/// A loopback port that is free now, below the kernel's ephemeral range. A port the kernel hands out for port 0 is an
/// ephemeral one: between choosing it and the server binding it, an outgoing connection (or another test's port-0
/// listener) can take it ("address already in use" in CI); neither ever takes one below that range. Ports already
/// handed out by this process are not handed out again. The test projects compile this same file.
/// </summary>
internal static class LoopbackPort
{
    private static readonly HashSet<int> Given = [];

    public static int Free()
    {
        int ceiling = EphemeralFloor();
        int floor = Math.Max(1024, ceiling - 12_000);
        for (int attempt = 0; attempt < 500; attempt++)
        {
            int port = Random.Shared.Next(floor, ceiling);
            lock (Given)
                if (!Given.Add(port)) continue;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
        throw new InvalidOperationException($"No free loopback port found in {floor}..{ceiling}.");
    }

    private static int EphemeralFloor()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (int.TryParse(range[0], out var floor) && floor > 2048) return floor;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 32768;
    }
}
