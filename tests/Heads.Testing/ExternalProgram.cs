using System.Diagnostics;

namespace Heads.Testing;

/// <summary>Runs an independent checking program (python3 with open3d or torch, assimp) and collects what it printed.</summary>
public static class ExternalProgram
{
    public static (int ExitCode, string Output, string Error) Run(string program, string arguments, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // One thread each: the tests run beside each other on two cores.
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {arguments} ran past {timeout.TotalSeconds:F0} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
