namespace Heads.Cli.Tests;

/// <summary>Help on every command, and the usage errors (exit 1) System.CommandLine and the commands' own checks report.</summary>
public sealed class CommandLineTests(Workspace workspace)
{
    [Theory]
    [InlineData("")]
    [InlineData("predict")]
    [InlineData("sample")]
    [InlineData("render")]
    [InlineData("inspect")]
    [InlineData("voxelize")]
    [InlineData("generate")]
    [InlineData("bench")]
    [InlineData("scrape")]
    [InlineData("scrape status")]
    [InlineData("scrape cancel")]
    [InlineData("dataset")]
    [InlineData("dataset build")]
    [InlineData("dataset import")]
    [InlineData("dataset list")]
    [InlineData("dataset show")]
    [InlineData("dataset download")]
    [InlineData("train")]
    [InlineData("train status")]
    [InlineData("train cancel")]
    [InlineData("models")]
    [InlineData("models gallery")]
    [InlineData("models losses")]
    [InlineData("gallery")]
    public async Task Every_command_has_help(string command)
    {
        var args = command.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append("--help").ToArray();
        var run = await HeadsTool.ExpectAsync(0, workspace.Folder, args);
        Assert.Contains("Usage:", run.Output);
        Assert.Contains("heads " + command, run.Output.Replace("  ", " "));
        Assert.Empty(run.Error);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("predict")]
    [InlineData("render", "head.ply")]
    [InlineData("predict", "face.jpg", "--server", "http://127.0.0.1:5104", "--model-file", "model.safetensors")]
    [InlineData("bench", "nonsense")]
    [InlineData("train", "--model", "FaceNet3")]
    [InlineData("train", "--model", "FaceNet9", "--latest")]
    [InlineData("train", "--model", "HeadsNet", "--dataset", "d1", "--encoding", "Fourier")]
    [InlineData("dataset", "build", "--kind", "Spheres")]
    [InlineData("sample", "--points", "many")]
    public async Task Usage_errors_exit_1(params string[] args)
    {
        var run = await HeadsTool.ExpectAsync(1, workspace.Folder, args);
        Assert.NotEmpty(run.Error);
    }

    [Fact]
    public async Task Bench_lists_the_benchmark_suites()
    {
        var run = await HeadsTool.ExpectAsync(0, workspace.Folder, "bench", "--list");
        var suites = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("geometry", suites);
        Assert.Contains("training", suites);
        Assert.Contains("inference", suites);
        Assert.Contains("inference-http", suites);
    }
}
