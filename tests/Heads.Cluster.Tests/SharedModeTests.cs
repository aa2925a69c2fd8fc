using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Heads.Core.Training.Jobs;
using Microsoft.Extensions.Logging;
using Trainer.Service.Tests;

namespace Heads.Cluster.Tests;

/// <summary>
/// The AppHost in shared mode on the host's end of a veth pair, and a trainer worker on a second host (a network
/// namespace) that joins with the printed command: refused with guest, a wrong password or the published storage key;
/// with the generated credentials it trains FaceNet2 shards beside the AppHost's replica, is killed mid-shard, and the
/// job still completes with every voxel once and is served.
/// </summary>
public sealed partial class SharedModeTests
{
    private const int ShardSize = 2048;
    private const string WorkerName = "ns-worker";

    [Fact]
    public async Task A_worker_on_a_second_host_joins_with_the_printed_command_and_its_killed_shard_is_trained_elsewhere()
    {
        if (NetworkNamespace.Unavailable() is { } why) Assert.Skip(why);
        var ct = TestContext.Current.CancellationToken;
        NetworkNamespace second;
        try
        {
            second = await NetworkNamespace.CreateAsync();
        }
        catch (InvalidOperationException e) when (e.Message.Contains("Operation not permitted", StringComparison.Ordinal)
                                                   || e.Message.Contains("Permission denied", StringComparison.Ordinal))
        {
            // Root without CAP_NET_ADMIN/CAP_SYS_ADMIN (an unprivileged container): no second host can be made here.
            Assert.Skip("cannot create a network namespace here: " + e.Message);
            return;
        }
        var state = Path.Combine(Path.GetTempPath(), "heads-shared-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using var app = await StartAppHostAsync(state, second.HostAddress, ct);
            var model = app.Services.GetRequiredService<DistributedApplicationModel>();
            var join = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "worker-join-command").GetValueAsync(ct);
            Assert.NotNull(join);
            Assert.Contains($"@{second.HostAddress}:", join);
            Assert.DoesNotContain("guest", join);
            Assert.DoesNotContain("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq", join);
            // The generated password is an Aspire secret parameter (masked on the dashboard) and is what the command carries.
            var password = model.Resources.OfType<ParameterResource>().Single(p => p.Name == "rabbitmq-password");
            Assert.True(password.Secret);
            var passwordValue = await password.GetValueAsync(ct);
            Assert.True(passwordValue is { Length: 32 }, "the broker password is not the generated one");
            Assert.Contains(":" + passwordValue + "@", join);

            // From the second host: guest, a wrong password and the published development key are refused at start.
            await ExpectRefusedAsync(second, Regex.Replace(join, "(?<=amqp://)[^@]+(?=@)", "guest:guest"), "refused user 'guest'");
            await ExpectRefusedAsync(second, Regex.Replace(join, "(?<=amqp://[^:/]+:)[^@]+(?=@)", "not-the-password"), "wrong user or password");
            await ExpectRefusedAsync(second, Regex.Replace(join, "AccountKey=[^;]+;",
                "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"), "refused the account key");

            var blobs = new BlobServiceClient(await app.GetConnectionStringAsync("blobs", ct));
            var dataset = $"shared-{Guid.NewGuid():N}"[..24];
            await TestDatasets.WriteFaceNetAsync(blobs, dataset, train: 12, heldOut: 4, stride: 32, seed: 7);

            await using var worker = Worker.Start(second, join, $"--Trainer:ReplicaName={WorkerName} --Trainer:TorchThreads=1 --Trainer:ProgressInterval=00:00:00.200");
            await Until(() => worker.Output.Contains("joined the shared stack", StringComparison.Ordinal) && worker.Output.Contains("TorchSharp uses", StringComparison.Ordinal),
                TimeSpan.FromSeconds(90), "the worker to join", () => worker.Output);

            using var trainer = app.CreateHttpClient("trainer");
            using var posted = await trainer.PostAsJsonAsync("/api/v1/training-jobs", new
            {
                model = "FaceNet2", datasetId = dataset, epochs = 60, batchSize = 6, learningRate = 0.003, shardSize = ShardSize, seed = 5,
            }, ct);
            Assert.True(posted.IsSuccessStatusCode, await posted.Content.ReadAsStringAsync(ct));
            var jobId = (await posted.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("jobId").GetGuid();
            var models = blobs.GetBlobContainerClient("models");

            // Once the worker has stored a shard, kill it early in the next one (no acknowledgement, as a machine that dies).
            VoxelShardRange? interrupted = null;
            await Until(async () =>
            {
                var log = worker.Output;
                var started = TrainingLine().Matches(log).Select(m => m.Groups[1].Value).ToList();
                var finished = TrainedLine().Matches(log).Select(m => m.Groups[1].Value).ToHashSet();
                var running = started.Where(r => !finished.Contains(r)).ToList();
                if (finished.Count == 0 || running.Count == 0) return false;
                var range = Parse(running[^1]);
                if (await StoredAsync(models, jobId, range, ct)) return false;
                interrupted = range;
                return true;
            }, TimeSpan.FromSeconds(180), "the worker to store a shard and start another", () => worker.Output);
            await worker.KillAsync();
            int workerShards = TrainedLine().Matches(worker.Output).Count;

            JsonElement status = default;
            await Until(async () =>
            {
                status = await trainer.GetFromJsonAsync<JsonElement>($"/api/v1/training-jobs/{jobId}", ct);
                var s = status.GetProperty("state").GetString()?.ToLowerInvariant();
                Assert.False(s is "failed" or "cancelled", $"job {s}: {status}");
                return s == "completed";
            }, TimeSpan.FromSeconds(300), "the job to complete", () => status.ToString());

            Assert.Equal(32768 / ShardSize, status.GetProperty("shardsDone").GetInt32());
            var replicas = status.GetProperty("replicas").EnumerateArray().Select(r => r.GetString()!).ToList();
            Assert.Contains(WorkerName, replicas);
            Assert.Contains(replicas, r => r != WorkerName);
            Assert.InRange(workerShards, 1, 32768 / ShardSize - 1);

            // Every voxel once, each shard committed with its weights; the interrupted one trained by the AppHost's replica.
            var stored = await StoredShardsAsync(models, jobId, ct);
            VoxelShardPlan.CheckCoverage(stored);
            Assert.Contains(interrupted!, stored);
            var progress = await models.GetBlobClient(TrainingJobLayout.ShardProgressBlob(jobId, interrupted!)).DownloadContentAsync(ct);
            Assert.NotEqual(WorkerName, JsonDocument.Parse(progress.Value.Content.ToMemory()).RootElement.GetProperty("replica").GetString());

            // Inference loads the job's model, checking every shard's SHA-256 against its manifest.
            using var inference = app.CreateHttpClient("inference");
            await Until(async () => (await inference.GetStringAsync("/api/v1/models", ct)).Contains(jobId.ToString(), StringComparison.Ordinal),
                TimeSpan.FromSeconds(180), "inference to serve the job's model", () => "");
        }
        finally
        {
            await second.DisposeAsync();
            try { Directory.Delete(state, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        Assert.False(await NetworkNamespace.ExistsAsync(second.Name), $"namespace {second.Name} left behind");
        Assert.False(await NetworkNamespace.LinkExistsAsync(second.HostLink), $"link {second.HostLink} left behind");
    }

    private static async Task<DistributedApplication> StartAppHostAsync(string state, string address, CancellationToken ct)
    {
        using var startTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        startTimeout.CancelAfter(TimeSpan.FromMinutes(4));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Heads_AppHost>(
        [
            $"--Heads:StateDirectory={state}", "--Heads:Pipeline:Enabled=false", $"--Heads:Shared:Address={address}",
            $"--Heads:RabbitMq:Port={RealInfrastructure.FreePort()}", $"--Heads:Azurite:Port={RealInfrastructure.FreePort()}",
            "--Heads:Trainer:Replicas=1",
        ], startTimeout.Token);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("System.Net.Http", LogLevel.Warning)
            .AddFilter("Polly", LogLevel.Warning));
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        var app = await builder.BuildAsync(startTimeout.Token);
        await app.StartAsync(startTimeout.Token);
        foreach (var name in (string[])["rabbitmq", "blobs", "trainer", "inference"])
            await app.ResourceNotifications.WaitForResourceHealthyAsync(name, startTimeout.Token);
        return app;
    }

    private static async Task ExpectRefusedAsync(NetworkNamespace host, string command, string reason)
    {
        await using var worker = Worker.Start(host, command, $"--Trainer:ReplicaName=refused");
        int code = await worker.WaitForExitAsync(TimeSpan.FromSeconds(90));
        var lines = worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == 2, $"exit {code}:\n{worker.Output}");
        var line = Assert.Single(lines, l => l.StartsWith("Worker cannot join: ", StringComparison.Ordinal));
        Assert.Contains(reason, line);
    }

    private static async Task<bool> StoredAsync(BlobContainerClient models, Guid jobId, VoxelShardRange range, CancellationToken ct) =>
        (await StoredShardsAsync(models, jobId, ct)).Contains(range);

    /// <summary>The committed shards: those whose manifest exists (the commit marker), each beside its weights.</summary>
    private static async Task<List<VoxelShardRange>> StoredShardsAsync(BlobContainerClient models, Guid jobId, CancellationToken ct)
    {
        var folder = TrainingJobLayout.ShardsFolder(jobId);
        var names = new HashSet<string>();
        await foreach (var item in models.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, folder, ct))
            names.Add(item.Name);
        return names.Where(n => n.EndsWith(".json", StringComparison.Ordinal) && names.Contains(n[..^5] + ".safetensors"))
            .Select(n => VoxelShardRange.TryParse(n[folder.Length..^5], out var r) ? r : throw new InvalidDataException(n)).ToList();
    }

    private static VoxelShardRange Parse(string text)
    {
        var parts = text.Split("..");
        int first = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), last = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
        return new VoxelShardRange(first, last - first + 1);
    }

    private static Task Until(Func<bool> condition, TimeSpan timeout, string what, Func<string> details) =>
        Until(() => Task.FromResult(condition()), timeout, what, details);

    private static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string> details)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < timeout, $"Timed out after {timeout.TotalSeconds:F0} s waiting for {what}:\n{details()}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    [GeneratedRegex(@"training voxels (\d+\.\.\d+) on")]
    private static partial Regex TrainingLine();

    [GeneratedRegex(@"voxels (\d+\.\.\d+) trained in")]
    private static partial Regex TrainedLine();
}
