using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.Configuration;

namespace Heads.AppHost;

/// <summary>
/// The default pipeline (scrape → datasets → training → inference) and the dashboard commands that start each step
/// by hand. <c>Heads:Pipeline:Enabled=false</c> starts the stack idle.
/// </summary>
public static class Pipeline
{
    /// <summary>Heads the default pipeline scrapes: about 100 are held out (Dataset:Pipeline:HeldOutFraction, 20 %), enough to tell models apart by 0.03 IoU.</summary>
    public const int DefaultHeads = 500;

    /// <summary>The models the pipeline trains, in the order their jobs start: the default face model first.</summary>
    private static class TrainerPipelineDefaults
    {
        public const string Models = "FaceNetPca,HeadsNet,FaceNet2";
    }

    public static IResourceBuilder<ProjectResource> WithScraperPipeline(this IResourceBuilder<ProjectResource> scraper, IConfiguration config)
    {
        var enabled = config.GetValue("Heads:Pipeline:Enabled", true);
        return scraper
            .WithEnvironment("Scraper__ScrapeOnStartCount", Text(enabled ? config.GetValue("Heads:Pipeline:Heads", DefaultHeads) : 0))
            .WithEnvironment("Scraper__ScrapeOnStartSeed", Text(config.GetValue("Heads:Pipeline:Seed", 1)))
            .WithHttpCommand("/api/v1/scrapes", "Scrape heads", commandName: "scrape-heads", commandOptions: JsonPost(
                new { count = config.GetValue("Heads:Pipeline:Heads", DefaultHeads), source = "synthetic", seed = config.GetValue("Heads:Pipeline:CommandSeed", 100_000) },
                "Scrapes synthetic heads (count from Heads:Pipeline:Heads)", "PersonAdd"));
    }

    public static IResourceBuilder<ProjectResource> WithDatasetPipeline(this IResourceBuilder<ProjectResource> dataset, IConfiguration config, string repositoryRoot)
    {
        var enabled = config.GetValue("Heads:Pipeline:Enabled", true);
        // The original FaceTo3D files beside the checkout can be imported (POST /api/v1/datasets/imports).
        var importRoot = config["Heads:ImportRoot"];
        if (string.IsNullOrWhiteSpace(importRoot)) importRoot = Path.GetFullPath(Path.Combine(repositoryRoot, "..", "shared", "data"));
        return dataset
            .WithEnvironment("Dataset__Pipeline__BuildOnScrape", enabled ? "true" : "false")
            .WithEnvironment("Dataset__ImportRoot", importRoot)
            .WithHttpCommand("/api/v1/datasets", "Build FaceNet dataset", commandName: "build-facenet-dataset",
                commandOptions: JsonPost(new { kind = "FaceNet" }, "Snapshots every processed head into a new FaceNet dataset", "Database"))
            .WithHttpCommand("/api/v1/datasets", "Build HeadsNet dataset", commandName: "build-headsnet-dataset",
                commandOptions: JsonPost(new { kind = "HeadsNet" }, "Snapshots every processed head into a new HeadsNet dataset", "Database"));
    }

    public static IResourceBuilder<ProjectResource> WithTrainerPipeline(this IResourceBuilder<ProjectResource> trainer, IConfiguration config)
    {
        var enabled = config.GetValue("Heads:Pipeline:Enabled", true);
        var section = config.GetSection("Heads:Pipeline:Training");
        trainer = trainer
            .WithEnvironment("Trainer__Pipeline__TrainOnDataset", enabled ? "true" : "false")
            .WithEnvironment("Trainer__Pipeline__Models", section["Models"] ?? TrainerPipelineDefaults.Models);
        foreach (var setting in section.GetChildren().Where(c => c.Key != "Models"))
            foreach (var value in setting.GetChildren())
                trainer = trainer.WithEnvironment($"Trainer__Pipeline__{setting.Key}__{value.Key}", value.Value ?? "");
        foreach (var model in new[] { "FaceNetPca", "FaceNet3", "FaceNet2", "HeadsNet", "FaceNet1" })
        {
            trainer = trainer.WithHttpCommand("/api/v1/training-jobs/latest-dataset", $"Train {model}", commandName: $"train-{model.ToLowerInvariant()}",
                commandOptions: JsonPost(new { model }, $"Trains {model} on the newest dataset of its kind with the pipeline's settings", "BrainCircuit"));
        }
        return trainer;
    }

    public static IResourceBuilder<ProjectResource> WithInferenceCommands(this IResourceBuilder<ProjectResource> inference) =>
        inference.WithHttpCommand("/api/v1/models/reload", "Reload models", commandName: "reload-models",
                commandOptions: new HttpCommandOptions { Method = HttpMethod.Post, Description = "Rescans the models container and loads every trained model", IconName = "ArrowSync" })
            .WithHttpCommand("/api/v1/models/pins/volumes/newest", "Pin newest face model", commandName: "pin-newest-face-model",
                commandOptions: new HttpCommandOptions { Method = HttpMethod.Post, Description = "Makes the newest face model the default, promoted or not, until unpinned", IconName = "Pin" })
            .WithHttpCommand("/api/v1/models/pins/volumes", "Unpin face model", commandName: "unpin-face-model",
                commandOptions: new HttpCommandOptions { Method = HttpMethod.Delete, Description = "Returns the face default to the newest promoted model", IconName = "PinOff" })
            .WithHttpCommand("/api/v1/models/pins/heads/newest", "Pin newest HeadsNet", commandName: "pin-newest-headsnet",
                commandOptions: new HttpCommandOptions { Method = HttpMethod.Post, Description = "Makes the newest HeadsNet the default, promoted or not, until unpinned", IconName = "Pin" })
            .WithHttpCommand("/api/v1/models/pins/heads", "Unpin HeadsNet", commandName: "unpin-headsnet",
                commandOptions: new HttpCommandOptions { Method = HttpMethod.Delete, Description = "Returns the HeadsNet default to the newest promoted model", IconName = "PinOff" });

    private static HttpCommandOptions JsonPost(object body, string description, string icon) => new()
    {
        Method = HttpMethod.Post,
        Description = description,
        IconName = icon,
        PrepareRequest = context =>
        {
            context.Request.Content = JsonContent.Create(body);
            return Task.CompletedTask;
        },
    };

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
