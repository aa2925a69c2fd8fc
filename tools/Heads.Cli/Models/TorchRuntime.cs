using static TorchSharp.torch;

namespace Heads.Cli.Models;

/// <summary>
/// Loads libtorch once, before any model work, so a tool installed without its native libraries says so in one line
/// instead of failing deep inside a type initialiser.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<string?> Failure = new(TryLoad);

    public static void Ensure(string purpose)
    {
        if (Failure.Value is { } why)
            throw new InputException($"{purpose} needs TorchSharp's native libraries (libtorch-cpu-linux-x64), which could not be loaded: {why}");
    }

    private static string? TryLoad()
    {
        try
        {
            using var probe = ones(1);
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException or EntryPointNotFoundException)
        {
            var inner = e;
            while (inner.InnerException is not null) inner = inner.InnerException;
            // TorchSharp's message goes on for a page of load traces; its first sentence says what failed.
            var first = inner.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? inner.GetType().Name;
            return first.Trim() + " (on Debian 12, libLibTorchSharp.so also needs the build's GLIBCXX fix; see the README)";
        }
    }
}
