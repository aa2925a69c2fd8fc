using System.Diagnostics;

namespace Heads.Benchmarks;

/// <summary>A named group of measurements; suites are discovered by reflection so each area adds its own file.</summary>
public interface IBenchmarkSuite
{
    string Name { get; }
    void Run(BenchmarkReport report);
}

/// <summary>Collects figures and prints each with its baseline ratio.</summary>
public sealed class BenchmarkReport(TextWriter? output = null)
{
    private readonly List<string> _lines = [];
    private readonly TextWriter _output = output ?? Console.Out;

    public void Figure(string what, double value, string unit, double? baseline = null, string? baselineName = null)
    {
        var line = $"{what,-58} {value,14:N2} {unit}";
        if (baseline is { } b && b > 0)
            line += $"   (baseline {baselineName}: {b:N2} {unit}; ratio {value / b:N1}x)";
        _lines.Add(line);
        _output.WriteLine(line);
    }

    public void Note(string text)
    {
        _lines.Add("  " + text);
        _output.WriteLine("  " + text);
    }

    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Runs <paramref name="action"/> repeatedly for at least <paramref name="minSeconds"/> and returns seconds per call.</summary>
    public static double Time(Action action, double minSeconds = 1.0, int minIterations = 1)
    {
        action(); // warm-up
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (n < minIterations || sw.Elapsed.TotalSeconds < minSeconds)
        {
            action();
            n++;
        }
        return sw.Elapsed.TotalSeconds / n;
    }

    public static double PeakResidentMiB()
    {
        // VmHWM: the process's peak resident set size, native memory included.
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }

    public static double ResidentMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return double.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}
