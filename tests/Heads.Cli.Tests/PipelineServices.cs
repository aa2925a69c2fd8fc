using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Heads.Core.FaceTo3D;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Heads.Cli.Tests;

/// <summary>
/// The real scraper, dataset, trainer and inference services, each on a loopback port (Kestrel) so the tool can reach
/// them from its own process, on one real RabbitMQ and Azurite, so the pipeline flows between them as in the stack:
/// the scraper's HeadScraped events are processed by the dataset service, whose datasets the trainer reads, whose
/// models the inference service serves. The tool's long steps (scrape, build, import, train) run once, on first
/// demand, and every test awaits the ones it needs, so the tests do not depend on their order.
/// </summary>
public sealed partial class PipelineServices(Workspace workspace) : IAsyncLifetime
{
    /// <summary>The scrape's first seed: heads syn-1000..syn-1002, the only heads whose id starts with <see cref="HeadPrefix"/>.</summary>
    public const long ScrapeSeed = 1000;
    public const int ScrapeCount = 3;
    public const string HeadPrefix = "syn-100";
    public const string FaceNetDataset = "cli-facenet";
    public const string ImportDataset = "cli-import";
    public const string ImportFolder = "cli-rows";
    public const int ImportRows = 4;

    private readonly RealInfrastructure infrastructure = new();
    private readonly List<IDisposable> factories = [];
    private readonly string importRoot = Directory.CreateTempSubdirectory("heads-cli-import-").FullName;
    private readonly Lock steps = new();
    private Task<ToolRun>? scrape, build, import, train;

    public Workspace Workspace { get; } = workspace;
    public string Scraper { get; private set; } = "";
    public string Dataset { get; private set; } = "";
    public string Trainer { get; private set; } = "";
    public string Inference { get; private set; } = "";
    public BlobServiceClient Blobs { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await infrastructure.InitializeAsync();
        Blobs = new BlobServiceClient(infrastructure.BlobsConnectionString);
        WriteImportFolder(Path.Combine(importRoot, ImportFolder));
        var hosts = await Task.WhenAll(
            Task.Run(() => Start<Scraper.Service.Apis.ScraperOptions>(new())),
            Task.Run(() => Start<Dataset.Service.Storage.DatasetOptions>(new()
            {
                ["Dataset:ImportRoot"] = importRoot,
                ["Dataset:ProgressInterval"] = "00:00:00.200",
            })),
            Task.Run(() => Start<Trainer.Service.Jobs.TrainerOptions>(new()
            {
                ["Trainer:ReplicaName"] = "cli-tests",
                ["Trainer:TorchThreads"] = "1",
                ["Trainer:ProgressInterval"] = "00:00:00.200",
                ["Trainer:ConsumerStopTimeout"] = "00:00:00.200",
                // `heads train --latest` takes the pipeline's settings: a job that runs until the tests cancel it.
                ["Trainer:Pipeline:FaceNet3:Epochs"] = "10000",
            })),
            Task.Run(() => Start<Inference.Service.InferenceOptions>(new()
            {
                ["Inference:SampleFaces"] = "1",
                ["Inference:SampleSize"] = "64",
                ["Inference:TorchThreads"] = "1",
            })));
        (Scraper, Dataset, Trainer, Inference) = (hosts[0], hosts[1], hosts[2], hosts[3]);
        await Task.WhenAll(hosts.Select(WaitUntilHealthyAsync));
    }

    /// <summary>Starts a service host on a free loopback port, quiet but for warnings, and returns its URL.</summary>
    private string Start<TEntryPoint>(Dictionary<string, string> settings) where TEntryPoint : class
    {
        int port = InferenceServer.FreePort();
        var factory = new WebApplicationFactory<TEntryPoint>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in infrastructure.ConnectionStrings) web.UseSetting(key, value);
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        factory.StartServer();
        lock (factories) factories.Add(factory);
        return $"http://127.0.0.1:{port}";
    }

    private static async Task WaitUntilHealthyAsync(string url)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var response = await http.GetAsync("/health");
            if (response.IsSuccessStatusCode) return;
            Assert.True(DateTime.UtcNow < deadline, $"{url} is not healthy: {await response.Content.ReadAsStringAsync()}");
            await Task.Delay(200);
        }
    }

    /// <summary>An import folder in the original FaceTo3D layout: 32×32 faces and 32³ volumes, a ball per row.</summary>
    private static void WriteImportFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(5);
        using var faces = File.Create(Path.Combine(folder, "train_x.dat"));
        using var volumes = File.Create(Path.Combine(folder, "train_y.dat"));
        for (int row = 0; row < ImportRows; row++)
        {
            var face = new byte[FaceTo3DFiles.FaceBytes];
            random.NextBytes(face);
            faces.Write(face);
            var volume = new byte[FaceTo3DFiles.VolumeBytes];
            double radius = 8 + row;
            for (int i = 0; i < volume.Length; i++)
            {
                int x = i % 32 - 16, y = i / 32 % 32 - 16, z = i / 1024 - 16;
                volume[i] = x * x + y * y + z * z <= radius * radius ? (byte)1 : (byte)0;
            }
            volumes.Write(volume);
        }
    }

    /// <summary><c>heads scrape --count 3</c>, followed to its end.</summary>
    public Task<ToolRun> ScrapeAsync() => Once(ref scrape, () => HeadsTool.RunAsync(Workspace.NewFolder(),
        "scrape", "--count", Text(ScrapeCount), "--seed", Text(ScrapeSeed), "--interval", "0.2", "--server", Scraper));

    /// <summary><c>heads dataset build</c> of a FaceNet dataset from the scraped heads, once the dataset service has processed them.</summary>
    public Task<ToolRun> BuildAsync() => Once(ref build, async () =>
    {
        Assert.Equal(0, (await ScrapeAsync()).ExitCode);
        await WaitForProcessedHeadsAsync(HeadPrefix, ScrapeCount);
        return await HeadsTool.RunAsync(Workspace.NewFolder(), "dataset", "build", "--kind", "FaceNet", "--id", FaceNetDataset,
            "--prefix", HeadPrefix, "--held-out", "0.34", "--interval", "0.2", "--server", Dataset);
    });

    /// <summary><c>heads dataset import</c> of the FaceTo3D folder; always after the build, so it is the newest FaceNet dataset.</summary>
    public Task<ToolRun> ImportAsync() => Once(ref import, async () =>
    {
        await BuildAsync();
        return await HeadsTool.RunAsync(Workspace.NewFolder(), "dataset", "import", "--directory", ImportFolder, "--id", ImportDataset,
            "--held-out", "0.25", "--interval", "0.2", "--server", Dataset);
    });

    /// <summary><c>heads train</c> of a FaceNet3 on the built dataset, two epochs, followed to its held-out report.</summary>
    public Task<ToolRun> TrainAsync() => Once(ref train, async () =>
    {
        Assert.Equal(0, (await BuildAsync()).ExitCode);
        return await HeadsTool.RunAsync(Workspace.NewFolder(), "train", "--model", "FaceNet3", "--dataset", FaceNetDataset,
            "--epochs", "2", "--batch-size", "2", "--seed", "3", "--interval", "0.2", "--server", Trainer);
    });

    private Task<ToolRun> Once(ref Task<ToolRun>? step, Func<Task<ToolRun>> run)
    {
        lock (steps) return step ??= run();
    }

    public async Task WaitForProcessedHeadsAsync(string prefix, int count)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Dataset) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var page = await http.GetFromJsonAsync<JsonObject>($"/api/v1/heads?prefix={prefix}", TestContext.Current.CancellationToken);
            if ((int)page!["count"]! >= count) return;
            Assert.True(DateTime.UtcNow < deadline, $"the dataset service processed only {page["count"]} of {count} '{prefix}' heads: {page}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    public static async Task<JsonObject> GetAsync(string url, string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        return (await http.GetFromJsonAsync<JsonObject>(path, TestContext.Current.CancellationToken))!;
    }

    /// <summary>Polls until the resource's state is one of <paramref name="states"/>.</summary>
    public static async Task<JsonObject> WaitForStateAsync(string url, string path, params string[] states)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var status = await GetAsync(url, path);
            if (states.Contains((string?)status["state"])) return status;
            Assert.True(DateTime.UtcNow < deadline, $"{path} never reached {string.Join(" or ", states)}: {status}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The id in a line such as "scrape 3f…e1 queued: …".</summary>
    public static Guid IdAfter(string output, string word)
    {
        var match = Regex.Match(output, $@"{word} ([0-9a-f]{{8}}-[0-9a-f-]{{27}}) queued");
        Assert.True(match.Success, $"no '{word} ID queued' line in:\n{output}");
        return Guid.Parse(match.Groups[1].Value);
    }

    /// <summary>The lines the tool printed while it followed progress ("HH:mm:ss  state …"), without their time.</summary>
    public static List<string> ProgressLines(string output) =>
        ProgressLine().Matches(output).Select(m => m.Groups[1].Value.TrimEnd('\r')).ToList();

    [GeneratedRegex(@"^\d\d:\d\d:\d\d  (.*)$", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        // Whatever a test left running must end before the hosts stop.
        foreach (var step in new[] { scrape, build, import, train })
            if (step is not null) await step.ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var factory in factories)
            if (factory is IAsyncDisposable asyncFactory) await asyncFactory.DisposeAsync();
            else factory.Dispose();
        await infrastructure.DisposeAsync();
        Directory.Delete(importRoot, recursive: true);
    }
}
