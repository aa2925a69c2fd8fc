using Heads.Benchmarks;

var unknown = BenchmarkRunner.Unknown(args);
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown suite(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", BenchmarkRunner.SuiteNames)}, {BenchmarkRunner.All}.");
    return 1;
}
BenchmarkRunner.Run(args, Console.Out);
return 0;
