namespace Heads.Benchmarks;

/// <summary>
/// Finds the suites (every <see cref="IBenchmarkSuite"/> in this assembly) and runs the ones asked for, in name order.
/// The entry point of this project's own Main and of <c>heads bench</c>, so the packed tool runs the same code.
/// </summary>
public static class BenchmarkRunner
{
    public const string All = "all";

    /// <summary>Suite names, sorted.</summary>
    public static IReadOnlyList<string> SuiteNames => Suites().Select(s => s.Name).ToList();

    /// <summary>Names in <paramref name="wanted"/> that are neither a suite nor "all" (case-insensitive).</summary>
    public static IReadOnlyList<string> Unknown(IEnumerable<string> wanted) =>
        wanted.Where(w => !string.Equals(w, All, StringComparison.OrdinalIgnoreCase) && !SuiteNames.Contains(w, StringComparer.OrdinalIgnoreCase)).ToList();

    /// <summary>The suites <paramref name="wanted"/> selects: all of them when it is empty or contains "all".</summary>
    public static IReadOnlyList<string> Resolve(IReadOnlyCollection<string> wanted)
    {
        var unknown = Unknown(wanted);
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown suite(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", SuiteNames)}, {All}.", nameof(wanted));
        bool all = wanted.Count == 0 || wanted.Contains(All, StringComparer.OrdinalIgnoreCase);
        return SuiteNames.Where(n => all || wanted.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>Runs the selected suites, writing a "== name ==" heading and then each figure to <paramref name="output"/>.</summary>
    public static BenchmarkReport Run(IReadOnlyCollection<string> wanted, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var names = Resolve(wanted);
        var report = new BenchmarkReport(output);
        foreach (var suite in Suites().Where(s => names.Contains(s.Name)))
        {
            output.WriteLine($"== {suite.Name} ==");
            suite.Run(report);
        }
        return report;
    }

    private static List<IBenchmarkSuite> Suites() => typeof(IBenchmarkSuite).Assembly.GetTypes()
        .Where(t => typeof(IBenchmarkSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
        .Select(t => (IBenchmarkSuite)Activator.CreateInstance(t)!)
        .OrderBy(s => s.Name, StringComparer.Ordinal)
        .ToList();
}
