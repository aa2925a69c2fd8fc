using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Heads.Core.Datasets;
using static Heads.Cli.Tests.PipelineServices;

namespace Heads.Cli.Tests;

/// <summary>
/// The thin clients (scrape, dataset, train, models) as a user runs them, against the real services with the pipeline
/// flowing between them; every printed figure is checked against what the service itself answers.
/// </summary>
public sealed class ServiceClientTests(PipelineServices services) : IClassFixture<PipelineServices>
{
    private readonly string folder = services.Workspace.NewFolder();

    [Fact]
    public async Task Scrape_follows_the_scrape_to_completion_and_the_scraper_shows_its_three_heads()
    {
        var run = await services.ScrapeAsync();
        Assert.True(run.ExitCode == 0, run.ToString());
        var id = IdAfter(run.Output, "scrape");
        Assert.Contains($"scrape {id} queued: {ScrapeCount} heads from synthetic", run.Output);
        var progress = ProgressLines(run.Output);
        Assert.Matches(@"^Completed\s+3/3 heads \(stored 3, already present 0, failed 0\), \d+\.\d heads/s$", progress[^1]);
        Assert.EndsWith(progress[^1], run.Output.TrimEnd());
        // A line is printed only when the status changed.
        Assert.Equal(progress.Count, progress.Zip(progress.Skip(1).Append("")).Count(p => p.First != p.Second));

        var status = await GetAsync(services.Scraper, $"/api/v1/scrapes/{id}");
        Assert.Equal(("Completed", 3, 3, ScrapeSeed), ((string?)status["state"], (int)status["requested"]!, (int)status["stored"]!, (long)status["seed"]!));
        var meshes = services.Blobs.GetBlobContainerClient("meshes");
        for (long seed = ScrapeSeed; seed < ScrapeSeed + ScrapeCount; seed++)
            Assert.True((await meshes.GetBlobClient($"syn-{seed}.ply").ExistsAsync(TestContext.Current.CancellationToken)).Value, $"syn-{seed}.ply");
    }

    [Fact]
    public async Task Scrape_status_shows_the_finished_scrape_and_cancel_of_it_is_refused()
    {
        var id = IdAfter((await services.ScrapeAsync()).Output, "scrape");
        var list = await HeadsTool.ExpectAsync(0, folder, "scrape", "status", "--server", services.Scraper);
        Assert.Matches($@"(?m)^{id}  Completed\s+3/3 heads", list.Output);
        var one = await HeadsTool.ExpectAsync(0, folder, "scrape", "status", id.ToString(), "--server", services.Scraper);
        Assert.Matches($@"^{id}  Completed\s+3/3 heads \(stored 3,", one.Output);
        var refused = await HeadsTool.ExpectInputErrorAsync(folder, "scrape", "cancel", id.ToString(), "--server", services.Scraper);
        Assert.Contains("409", refused);
        Assert.Contains("Scrape already finished", refused);
    }

    [Fact]
    public async Task A_followed_scrape_that_is_cancelled_ends_the_follow_with_exit_4()
    {
        const long seed = 5_000_000;
        var following = HeadsTool.RunAsync(folder, "scrape", "--count", "500", "--seed", seed.ToString(), "--interval", "0.2", "--server", services.Scraper);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode? started;
        while ((started = (await ScrapesAsync()).FirstOrDefault(s => (long)s!["seed"]! == seed && (string?)s["state"] == "Running")) is null)
        {
            Assert.True(DateTime.UtcNow < deadline && !following.IsCompleted, "the scrape never ran");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
        var id = (string)started["scrapeId"]!;

        var cancel = await HeadsTool.ExpectAsync(0, folder, "scrape", "cancel", id, "--server", services.Scraper);
        Assert.StartsWith(id, cancel.Output);
        var run = await following;
        Assert.True(run.ExitCode == 4, run.ToString());
        Assert.Contains($"scrape {id} queued: 500 heads", run.Output);
        Assert.Matches($@"^heads: scrape {id} ended: Cancelled\s+\d+/500 heads", run.Error);
        var status = await GetAsync(services.Scraper, $"/api/v1/scrapes/{id}");
        Assert.Equal("Cancelled", (string?)status["state"]);
        Assert.True((int)status["done"]! < 500);
    }

    [Fact]
    public async Task Dataset_build_follows_the_build_until_ready_with_the_services_row_counts()
    {
        var run = await services.BuildAsync();
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"dataset {FaceNetDataset} queued (FaceNet, {ScrapeCount} heads)", run.Output);
        Assert.Matches($@"^{FaceNetDataset}  Ready\s+FaceNet  3/3 heads", ProgressLines(run.Output)[^1]);
        var manifest = (await GetAsync(services.Dataset, $"/api/v1/datasets/{FaceNetDataset}"))["manifest"]!;
        Assert.Equal(ScrapeCount, (int)manifest["trainRows"]! + (int)manifest["heldOutRows"]!);
        Assert.Contains($"dataset {FaceNetDataset} ready: {manifest["trainRows"]} train rows, {manifest["heldOutRows"]} held-out rows, {manifest["files"]!.AsArray().Count} files", run.Output);
    }

    [Fact]
    public async Task Dataset_import_follows_the_import_of_FaceTo3D_files_until_ready()
    {
        var run = await services.ImportAsync();
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"dataset {ImportDataset} queued (FaceNet, {ImportRows} heads)", run.Output);
        Assert.Contains($"dataset {ImportDataset} ready: 3 train rows, 1 held-out rows", run.Output);
        var status = await GetAsync(services.Dataset, $"/api/v1/datasets/{ImportDataset}");
        Assert.Equal(("Ready", "Import"), ((string?)status["state"], (string?)status["manifest"]!["origin"]));
    }

    [Fact]
    public async Task Dataset_list_and_show_print_what_the_service_holds()
    {
        Assert.Equal(0, (await services.BuildAsync()).ExitCode);
        var list = await HeadsTool.ExpectAsync(0, folder, "dataset", "list", "--server", services.Dataset);
        Assert.Matches($@"(?m)^{FaceNetDataset}\s+Ready\s+FaceNet\s+3 heads\s+\d+ train rows\s+\d+ held out$", list.Output);

        var show = await HeadsTool.ExpectAsync(0, folder, "dataset", "show", FaceNetDataset, "--server", services.Dataset);
        var files = (await GetAsync(services.Dataset, $"/api/v1/datasets/{FaceNetDataset}"))["manifest"]!["files"]!.AsArray();
        Assert.NotEmpty(files);
        Assert.StartsWith($"{FaceNetDataset}  Ready", show.Output);
        foreach (var file in files)
            Assert.Matches($@"(?m)^  {file!["name"]}\s+{(long)file["rows"]!:N0} rows\s+{(long)file["bytes"]!:N0} bytes  sha256 {file["sha256"]}$", show.Output);
        Assert.Equal(files.Count + 1, show.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Dataset_download_writes_every_file_verified_by_SHA256_and_the_manifest()
    {
        Assert.Equal(0, (await services.BuildAsync()).ExitCode);
        var run = await HeadsTool.ExpectAsync(0, folder, "dataset", "download", FaceNetDataset, "-o", "data", "--server", services.Dataset);
        var ct = TestContext.Current.CancellationToken;
        var files = (await GetAsync(services.Dataset, $"/api/v1/datasets/{FaceNetDataset}"))["manifest"]!["files"]!.AsArray();
        var stored = services.Blobs.GetBlobContainerClient("datasets");
        foreach (var file in files)
        {
            var path = Path.Combine(folder, "data", (string)file!["name"]!);
            Assert.True(File.Exists(path), $"{path} is missing:\n{run}");
            var bytes = await File.ReadAllBytesAsync(path, ct);
            Assert.Equal((string?)file["sha256"], Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Equal((await stored.GetBlobClient($"{FaceNetDataset}/{file["name"]}").DownloadContentAsync(ct)).Value.Content.ToArray(), bytes);
            Assert.Contains($"{file["name"]}", run.Output);
        }
        Assert.Equal(files.Count, run.Output.Split('\n').Count(l => l.EndsWith("bytes  verified", StringComparison.Ordinal)));
        var manifest = DatasetManifest.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "data", "manifest.json"), ct), "downloaded manifest");
        Assert.Equal(files.Select(f => (string)f!["sha256"]!), manifest.Files.Select(f => f.Sha256));
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "data"), "*.part"));
    }

    [Fact]
    public async Task A_download_whose_bytes_differ_from_the_manifest_fails_and_keeps_nothing_of_that_file()
    {
        // A dataset of its own (HeadsNet, one head) whose stored file is then overwritten behind the service's back.
        Assert.Equal(0, (await services.ScrapeAsync()).ExitCode);
        await services.WaitForProcessedHeadsAsync(HeadPrefix, ScrapeCount);
        const string id = "cli-headsnet";
        var build = await HeadsTool.ExpectAsync(0, folder, "dataset", "build", "--kind", "HeadsNet", "--id", id, "--limit", "1", "--prefix", HeadPrefix,
            "--held-out", "0", "--interval", "0.2", "--server", services.Dataset);
        Assert.Contains($"dataset {id} queued (HeadsNet, 1 heads)", build.Output);
        var rows = (long)(await GetAsync(services.Dataset, $"/api/v1/datasets/{id}"))["manifest"]!["trainRows"]!;
        Assert.True(rows > 1000, $"{rows} rows");
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"dataset {id} ready: {rows:N0} train rows, 0 held-out rows"), build.Output);
        var files = (await GetAsync(services.Dataset, $"/api/v1/datasets/{id}"))["manifest"]!["files"]!.AsArray();
        var file = files.First(f => (long)f!["bytes"]! > 0)!;
        var tampered = (string)file["name"]!;
        var blob = services.Blobs.GetBlobContainerClient("datasets").GetBlobClient($"{id}/{tampered}");
        var bytes = (await blob.DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content.ToArray();
        bytes[bytes.Length / 2] ^= 0xFF;
        await blob.UploadAsync(new BinaryData(bytes), overwrite: true, TestContext.Current.CancellationToken);

        var error = await HeadsTool.ExpectInputErrorAsync(folder, "dataset", "download", id, "-o", "bad", "--server", services.Dataset);
        Assert.Contains($"{tampered} downloaded with SHA-256 {Convert.ToHexStringLower(SHA256.HashData(bytes))}, but the manifest says {file["sha256"]}", error);
        Assert.False(File.Exists(Path.Combine(folder, "bad", tampered)));
        Assert.False(File.Exists(Path.Combine(folder, "bad", tampered + ".part")));
        Assert.False(File.Exists(Path.Combine(folder, "bad", "manifest.json")));
    }

    [Fact]
    public async Task Train_follows_a_FaceNet3_job_to_its_held_out_report_and_status_shows_it()
    {
        var run = await services.TrainAsync();
        Assert.True(run.ExitCode == 0, run.ToString());
        var id = IdAfter(run.Output, "training job");
        Assert.Contains($"training job {id} queued: FaceNet3 on {FaceNetDataset}", run.Output);
        Assert.Matches($@"^completed\s+FaceNet3 on {FaceNetDataset}  epoch 2/2  loss [\d.e-]+  [\d,]+ samples/s  100%$", ProgressLines(run.Output)[^1]);
        var status = await GetAsync(services.Trainer, $"/api/v1/training-jobs/{id}");
        Assert.Equal("completed", (string?)status["state"]);
        var quality = status["quality"]!;
        Assert.Contains(string.Create(CultureInfo.InvariantCulture,
            $"held-out quality: IoU {(double)quality["model"]!["occupancyIoU"]!:F3} (mean head {(double)quality["meanHead"]!["occupancyIoU"]!:F3}, ridge {(double)quality["ridge"]!["occupancyIoU"]!:F3}), grayscale MAE {(double)quality["model"]!["grayscaleMae"]!:F2} (mean head {(double)quality["meanHead"]!["grayscaleMae"]!:F2}, ridge {(double)quality["ridge"]!["grayscaleMae"]!:F2}) on {quality["heldOutCount"]} heads: {((bool)quality["beatsBaselines"]! ? "beats" : "does not beat")} both baselines"), run.Output);
        Assert.EndsWith($"model: models/{id}/manifest.json", run.Output.TrimEnd());
        Assert.True((await services.Blobs.GetBlobContainerClient("models").GetBlobClient($"{id}/manifest.json").ExistsAsync(TestContext.Current.CancellationToken)).Value);

        var list = await HeadsTool.ExpectAsync(0, folder, "train", "status", "--server", services.Trainer);
        Assert.Matches($@"(?m)^{id}  completed\s+FaceNet3 on {FaceNetDataset}  epoch 2/2", list.Output);
        var one = await HeadsTool.ExpectAsync(0, folder, "train", "status", id.ToString(), "--server", services.Trainer);
        Assert.Equal(list.Output.Split('\n').Single(l => l.StartsWith(id.ToString(), StringComparison.Ordinal)), one.Output.TrimEnd('\n'));
    }

    [Fact]
    public async Task Train_latest_takes_the_newest_FaceNet_dataset_and_cancel_ends_the_follow_with_exit_4()
    {
        Assert.Equal(0, (await services.ImportAsync()).ExitCode);
        var following = HeadsTool.RunAsync(folder, "train", "--model", "FaceNet3", "--latest", "--interval", "0.2", "--server", services.Trainer);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonNode? running;
        while ((running = (await JobsAsync()).FirstOrDefault(j => (string?)j!["datasetId"] == ImportDataset && (string?)j["state"] == "running" && (int?)j["epoch"] >= 1)) is null)
        {
            if (following.IsCompleted) Assert.Fail($"the follow ended before the job ran: {await following}");
            Assert.True(DateTime.UtcNow < deadline, "the job never ran");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        var id = (string)running["jobId"]!;
        Assert.Equal(10_000, (int)running["epochs"]!);

        var cancel = await HeadsTool.ExpectAsync(0, folder, "train", "cancel", id, "--server", services.Trainer);
        Assert.Matches($@"^{id}  cancelled\s+FaceNet3 on {ImportDataset}", cancel.Output);
        var run = await following;
        Assert.True(run.ExitCode == 4, run.ToString());
        // A new job, though the trainer may have taken it up before the answer was written.
        Assert.Matches($@"^training job {id} (queued|running): FaceNet3 on {ImportDataset}\n", run.Output);
        Assert.Matches($@"^heads: training job {id} ended: cancelled\s+FaceNet3 on {ImportDataset}  epoch \d+/10000 .*: Cancelled by request\.$", run.Error.TrimEnd());
        Assert.Equal("cancelled", (string?)(await GetAsync(services.Trainer, $"/api/v1/training-jobs/{id}"))["state"]);
        Assert.Contains("409", await HeadsTool.ExpectInputErrorAsync(folder, "train", "cancel", id, "--server", services.Trainer));

        // The pipeline has one job per dataset and model: asking again answers that job, as it is, and does not train anew.
        var again = await HeadsTool.ExpectAsync(4, folder, "train", "--model", "FaceNet3", "--latest", "--server", services.Trainer);
        Assert.StartsWith($"training job {id} cancelled: FaceNet3 on {ImportDataset}", again.Output);
        Assert.StartsWith($"heads: training job {id} ended: cancelled", again.Error);
    }

    [Fact]
    public async Task Models_reload_lists_the_model_the_trainer_just_trained()
    {
        var id = IdAfter((await services.TrainAsync()).Output, "training job");
        var iou = (double)(await GetAsync(services.Trainer, $"/api/v1/training-jobs/{id}"))["quality"]!["model"]!["occupancyIoU"]!;
        var run = await HeadsTool.ExpectAsync(0, folder, "models", "--reload", "--server", services.Inference);
        // Two epochs do not beat the baselines: the model is listed, with the gate's reason, but is not the default.
        Assert.Matches(string.Create(CultureInfo.InvariantCulture, $@"(?m)^FaceNet3  {id}  {"       "}  dataset {FaceNetDataset}  [\d,]+ parameters  held-out IoU {iou:F3}$"), run.Output);
        Assert.Matches(@"(?m)^  vs ridge: ΔIoU\(>0\) [+-]\d\.\d{3} \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\]", run.Output);
        Assert.Matches(@"(?m)^  not promoted: does not beat its baselines on \d+ held-out heads", run.Output);
    }

    [Fact]
    public async Task The_services_refusals_are_input_errors_with_their_reason()
    {
        var unknown = await HeadsTool.ExpectInputErrorAsync(folder, "dataset", "show", "no-such-dataset", "--server", services.Dataset);
        Assert.Contains("answered 404 Not Found: Unknown dataset: There is no dataset 'no-such-dataset'.", unknown);
        var training = await HeadsTool.ExpectInputErrorAsync(folder, "train", "--model", "FaceNet3", "--dataset", "no-such-dataset", "--server", services.Trainer);
        Assert.Contains("answered 404 Not Found: Unknown dataset", training);
        var empty = await HeadsTool.ExpectInputErrorAsync(folder, "dataset", "build", "--kind", "FaceNet", "--prefix", "nobody", "--server", services.Dataset);
        Assert.Contains("answered 409 Conflict: No heads to build from", empty);
    }

    [Fact]
    public async Task A_build_that_fails_on_the_service_is_exit_4_with_the_services_reason()
    {
        Assert.Equal(0, (await services.ScrapeAsync()).ExitCode);
        await services.WaitForProcessedHeadsAsync(HeadPrefix, ScrapeCount);
        // One head, nearly everything held out: nothing is left to train on, which the service finds only while building.
        var run = await HeadsTool.ExpectAsync(4, folder, "dataset", "build", "--kind", "FaceNet", "--id", "cli-all-held-out", "--limit", "1",
            "--prefix", HeadPrefix, "--held-out", "0.99", "--interval", "0.2", "--server", services.Dataset);
        Assert.Contains("dataset cli-all-held-out queued (FaceNet, 1 heads)", run.Output);
        Assert.Equal("heads: dataset build ended: cli-all-held-out  Failed   FaceNet  1/1 heads  0.0 MiB: Dataset 'cli-all-held-out' would have no training rows: 1 heads, all held out at fraction 0.99.",
            run.Error.TrimEnd());
        Assert.Equal("Failed", (string?)(await GetAsync(services.Dataset, "/api/v1/datasets/cli-all-held-out"))["state"]);
    }

    private async Task<JsonArray> ScrapesAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(services.Scraper) };
        return JsonNode.Parse(await http.GetStringAsync("/api/v1/scrapes", TestContext.Current.CancellationToken))!.AsArray();
    }

    private async Task<JsonArray> JobsAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(services.Trainer) };
        return JsonNode.Parse(await http.GetStringAsync("/api/v1/training-jobs", TestContext.Current.CancellationToken))!.AsArray();
    }
}
