using System.CommandLine;
using Heads.Benchmarks;
using Heads.Cli.Models;

namespace Heads.Cli.Commands;

/// <summary><c>heads bench</c>: the project's benchmark suites, run in this process, each figure beside its baseline.</summary>
public static class BenchCommand
{
    /// <summary>Suites that need libtorch; the others run without it.</summary>
    private static readonly string[] TorchSuites = ["training", "inference", "trainer", "inference-http", "quality", "headsnet-quality"];

    public static Command Create()
    {
        var suites = new Argument<string[]>("SUITE")
        {
            Description = $"Suites to run: {string.Join(", ", BenchmarkRunner.SuiteNames)} or {BenchmarkRunner.All} (default).",
            Arity = ArgumentArity.ZeroOrMore,
            HelpName = "SUITE",
        };
        suites.AcceptOnlyFromAmong([.. BenchmarkRunner.SuiteNames, BenchmarkRunner.All]);
        var list = new Option<bool>("--list") { Description = "List the suites and exit." };
        var sharedData = new Option<string?>("--shared-data")
        {
            Description = "The folder holding facenet/ (train_x.dat, train_y.dat.gz, test_face.jpeg) that the training, trainer and geometry suites read; default: shared/data above this tool, or HEADS_SHARED_DATA.",
            HelpName = "DIR",
        };
        var command = new Command("bench", "Runs the project's benchmarks (the same code as tests/Heads.Benchmarks) and prints each figure with its baseline ratio. Build in Release for real figures.")
        {
            suites, list, sharedData,
        };
        CommandAction.Set(command, (result, ct) =>
        {
            if (result.GetValue(list))
            {
                foreach (var name in BenchmarkRunner.SuiteNames) Console.WriteLine(name);
                return Task.CompletedTask;
            }
            if (result.GetValue(sharedData) is { } folder)
            {
                if (!Directory.Exists(Path.Combine(folder, "facenet"))) throw new InputException($"--shared-data {folder} has no facenet/ folder.");
                Environment.SetEnvironmentVariable("HEADS_SHARED_DATA", Path.GetFullPath(folder));
            }
            var chosen = BenchmarkRunner.Resolve(result.GetValue(suites) ?? []);
            if (chosen.Any(s => TorchSuites.Contains(s))) TorchRuntime.Ensure($"bench {string.Join(" ", chosen.Where(s => TorchSuites.Contains(s)))}");
            try
            {
                BenchmarkRunner.Run(chosen, Console.Out);
            }
            catch (DirectoryNotFoundException e)
            {
                throw new InputException($"{e.Message} (or pass --shared-data DIR)", e);
            }
            return Task.CompletedTask;
        });
        return command;
    }
}
