using Heads.Benchmarks;

var suites = typeof(IBenchmarkSuite).Assembly.GetTypes()
    .Where(t => typeof(IBenchmarkSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
    .Select(t => (IBenchmarkSuite)Activator.CreateInstance(t)!)
    .OrderBy(s => s.Name, StringComparer.Ordinal)
    .ToList();

var wanted = args.Length == 0 || args.Contains("all") ? suites.Select(s => s.Name).ToHashSet() : args.ToHashSet(StringComparer.OrdinalIgnoreCase);
var unknown = wanted.Except(suites.Select(s => s.Name), StringComparer.OrdinalIgnoreCase).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown suite(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", suites.Select(s => s.Name))}, all.");
    return 1;
}

var report = new BenchmarkReport();
foreach (var suite in suites.Where(s => wanted.Contains(s.Name)))
{
    Console.WriteLine($"== {suite.Name} ==");
    suite.Run(report);
}
return 0;
