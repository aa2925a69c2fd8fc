using System.CommandLine;
using Heads.Cli.Commands;

namespace Heads.Cli;

/// <summary>The <c>heads</c> command tree.</summary>
public static class HeadsCommandLine
{
    public static RootCommand Create() => new(
        "Heads from the terminal: FaceNet volumes from photos, HeadsNet point clouds, pictures of meshes, point clouds and " +
        "volumes, file inspection, offline voxelisation, benchmarks, and thin clients for the services' HTTP APIs.\n" +
        "Exit codes: 0 success, 1 usage error, 2 input error or a request the server refused (one-line reason on stderr), " +
        "3 server unreachable, 4 the scrape, dataset build or training job followed ended failed or cancelled.")
    {
        PredictCommand.Create(),
        SampleCommand.Create(),
        RenderCommand.Create(),
        GalleryCommand.Create(),
        InspectCommand.Create(),
        VoxelizeCommand.Create(),
        GenerateCommand.Create(),
        BenchCommand.Create(),
        ScrapeCommand.Create(),
        DatasetCommand.Create(),
        TrainCommand.Create(),
        ModelsCommand.Create(),
    };
}

/// <summary>Options several commands share, spelled the same everywhere.</summary>
public static class CommonOptions
{
    public static Option<string?> Server(string service, string address) => new("--server", "-s")
    {
        Description = $"The {service}'s base URL (default {address}, as ./run.sh starts it).",
        HelpName = "URL",
    };

    public static Option<string?> ModelFile() => new("--model-file")
    {
        Description = "Run locally on a trained model instead of a server: a .safetensors weights file (HeadsNet, FaceNet1, FaceNet3) " +
                      "or a job folder with the trainer's manifest.json (any model, FaceNet2 shards included).",
        HelpName = "PATH",
    };

    public static Option<string?> Output(string what, bool required = false) => new("--output", "-o")
    {
        Description = what,
        HelpName = "FILE",
        Required = required,
    };

    public static Option<int> Threshold() => new("--threshold")
    {
        Description = "Smallest voxel value (1..255) counted as occupied for PLY points, meshes and pictures.",
        DefaultValueFactory = _ => 1,
    };

    public static byte ThresholdValue(int value) => value is >= 1 and <= 255
        ? (byte)value
        : throw new InputException($"--threshold must be within 1..255; it was {value}.");

    /// <summary>Adds a check that at most one of two options is given (a usage error, exit 1).</summary>
    public static void OneOf(Command command, Option first, Option second) =>
        command.Validators.Add(result =>
        {
            if (result.GetResult(first) is { Implicit: false } && result.GetResult(second) is { Implicit: false })
                result.AddError($"{first.Name} and {second.Name} cannot be used together.");
        });
}
