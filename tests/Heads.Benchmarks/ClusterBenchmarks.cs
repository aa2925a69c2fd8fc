using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Heads.Core.Training.Jobs;
using Heads.Testing;
using RabbitMQ.Client;
using Trainer.Service.Tests;

namespace Heads.Benchmarks;

/// <summary>
/// FaceNet2 spread over trainer processes that compete on one shard queue, as workers on other machines do: one job
/// with 1, 2 and 3 trainer processes (the 2 cores split between them), the shards each took, and what one shard costs
/// the broker and storage (messages, bytes, milliseconds beside its training time). The broker's and storage's own
/// capacity is measured in the same run, and with it a projection to 4–32 machines says where either would become
/// the limit.
/// </summary>
public sealed partial class ClusterBenchmarks : IBenchmarkSuite
{
    private const int ShardSize = 2048;
    private const int Shards = 32768 / ShardSize;
    private const int Stride = 4; // 8192 of the 32768 voxels vary: 512 networks per shard

    public string Name => "cluster";

    public void Run(BenchmarkReport report) => RunAsync(report).GetAwaiter().GetResult();

    private sealed record JobRun(int Workers, int Threads, double Seconds, Dictionary<string, int> ShardsPerWorker,
        List<double> ShardWallSeconds, List<double> ShardTrainingSeconds, long ShardBlobBytes, int ShardBlobs);

    private static async Task RunAsync(BenchmarkReport report)
    {
        var infrastructure = new RealInfrastructure();
        await infrastructure.InitializeAsync();
        try
        {
            var blobs = new BlobServiceClient(infrastructure.BlobsConnectionString);
            var dataset = $"cluster-{Guid.NewGuid():N}"[..24];
            await TestDatasets.WriteFaceNetAsync(blobs, dataset, train: 40, heldOut: 8, stride: Stride, seed: 11);
            int cores = Environment.ProcessorCount;
            report.Note($"FaceNet2 job: {Shards} shards of {ShardSize} voxels, 512 networks each (the rest pruned), 32 training faces, 60 epochs; " +
                $"trainer processes against real RabbitMQ and Azurite on this {cores}-core machine");

            var runs = new List<JobRun>();
            foreach (int workers in (int[])[1, 2, 3])
            {
                var run = await RunJobAsync(infrastructure, blobs, dataset, workers, Math.Max(1, cores / workers));
                runs.Add(run);
                report.Figure($"cluster: job time, {workers} worker{(workers > 1 ? "s" : "")} × {run.Threads} thread{(run.Threads > 1 ? "s" : "")}",
                    run.Seconds, "s", workers > 1 ? runs[0].Seconds : null, "1 worker");
                report.Note("shards taken: " + string.Join(", ", run.ShardsPerWorker.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")));
            }
            if (cores < 3) report.Note($"3 workers on {cores} cores: {3 - cores} more thread than cores, so that run is oversubscribed.");

            // What one shard costs the broker and storage, from the 1-worker run (no competition for the cores).
            var baseRun = runs[0];
            double wall = baseRun.ShardWallSeconds.Average(), training = baseRun.ShardTrainingSeconds.Average();
            double overheadMs = Math.Max(0, wall - training) * 1000;
            report.Figure("cluster: per shard, wall time in the trainer", wall * 1000, "ms");
            report.Figure("cluster: per shard, of which training", training * 1000, "ms");
            report.Figure("cluster: per shard, storage and broker (commit, progress, messages)", overheadMs, "ms", wall * 1000, "shard wall time");
            const int messagesPerShard = 2; // TrainVoxelShard in, VoxelShardTrained out (plus their acknowledgements)
            long bytesPerShard = baseRun.ShardBlobBytes / Shards;
            report.Figure("cluster: per shard, bytes committed to storage", bytesPerShard / 1024.0, "KiB");
            report.Note($"per shard: {messagesPerShard} messages, {baseRun.ShardBlobs / (double)Shards:F1} blobs committed (weights, manifest, progress), " +
                $"plus one dataset download per worker per job");

            // Capacity of this broker and storage, measured now: small messages, small blobs (manifests, progress), and
            // shard-sized weights.
            double messagesPerSecond = await BrokerRateAsync(infrastructure);
            var (smallPerSecond, _) = await StorageRateAsync(blobs, 1024, 200);
            var (_, bytesPerSecond) = await StorageRateAsync(blobs, (int)Math.Max(bytesPerShard, 4096), 12);
            report.Figure("cluster: broker, small persistent messages published and consumed", messagesPerSecond, "msg/s");
            report.Figure("cluster: storage, small blobs written", smallPerSecond, "blobs/s");
            report.Figure("cluster: storage, shard weights written", bytesPerSecond / 1048576.0, "MiB/s");

            // Each further machine brings its own cores: a shard takes there what it took one worker here with all cores.
            double perJobSetup = Math.Max(0, baseRun.Seconds - Shards * wall);
            foreach (int machines in (int[])[4, 8, 16, 32])
            {
                double projected = perJobSetup + Math.Ceiling(Shards / (double)machines) * wall;
                report.Figure($"cluster: projected job time, {machines} machines (this job, {Shards} shards)", projected, "s", baseRun.Seconds, "1 worker, measured");
            }
            double smallBlobsPerShard = baseRun.ShardBlobs / (double)Shards - 1;
            string Limits(double shardSeconds, double shardBytes)
            {
                double broker = messagesPerSecond * shardSeconds / messagesPerShard;
                double storage = Math.Min(smallPerSecond * shardSeconds / Math.Max(1, smallBlobsPerShard), bytesPerSecond * shardSeconds / shardBytes);
                return $"a shard every {shardSeconds:F1} s per machine ({shardBytes / 1048576:F0} MiB of weights): the broker would be the limit at about " +
                    $"{broker:N0} machines, storage at about {storage:N0} ({(bytesPerSecond * shardSeconds / shardBytes <= smallPerSecond * shardSeconds / Math.Max(1, smallBlobsPerShard) ? "weight bytes" : "blob writes")})";
            }
            report.Note("this job: " + Limits(wall, bytesPerShard));
            // The original settings: 166 epochs and every voxel of a 2048-voxel shard trained (4× the networks here).
            double scale = 2048.0 / (ShardSize / Stride);
            report.Note("original settings, unpruned: " + Limits(training * scale * 166 / 60 + (wall - training) * scale, bytesPerShard * scale));
            report.Note("one Azurite on one disk is the first limit; a storage account (or several Azurite instances) raises it. Useful machines are also capped by the job's shard count.");
        }
        finally
        {
            await infrastructure.DisposeAsync();
        }
    }

    private static async Task<JobRun> RunJobAsync(RealInfrastructure infrastructure, BlobServiceClient blobs, string dataset, int workers, int threads)
    {
        var processes = new List<ServiceProcess>();
        try
        {
            for (int i = 0; i < workers; i++)
            {
                var settings = ServiceProcess.TrainerSettings($"worker-{i + 1}");
                settings["Trainer:TorchThreads"] = threads.ToString(CultureInfo.InvariantCulture);
                settings["Trainer:ProgressInterval"] = "00:00:01";
                processes.Add(await ServiceProcess.StartAsync("Trainer.Service", $"worker-{i + 1}", infrastructure, settings));
            }
            var clock = Stopwatch.StartNew();
            using var posted = await processes[0].Http.PostAsJsonAsync("/api/v1/training-jobs", new
            {
                model = "FaceNet2", datasetId = dataset, epochs = 60, batchSize = 6, learningRate = 0.003, shardSize = ShardSize, seed = 5, sampleLimit = 32,
            });
            var body = await posted.Content.ReadAsStringAsync();
            if (!posted.IsSuccessStatusCode) throw new InvalidOperationException($"POST training-jobs: {(int)posted.StatusCode} {body}");
            var jobId = JsonDocument.Parse(body).RootElement.GetProperty("jobId").GetGuid();
            while (true)
            {
                var status = JsonDocument.Parse(await processes[0].Http.GetStringAsync($"/api/v1/training-jobs/{jobId}")).RootElement;
                var state = status.GetProperty("state").GetString()!.ToLowerInvariant();
                if (state == "completed") break;
                if (state is "failed" or "cancelled") throw new InvalidOperationException($"job {state}: {status}");
                if (clock.Elapsed > TimeSpan.FromMinutes(15)) throw new TimeoutException("The job did not complete in 15 minutes.");
                await Task.Delay(200);
            }
            double seconds = clock.Elapsed.TotalSeconds;

            var models = blobs.GetBlobContainerClient("models");
            var perWorker = processes.ToDictionary(p => p.Name, _ => 0);
            var trainingSeconds = new List<double>();
            await foreach (var item in models.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, TrainingJobLayout.ShardProgressFolder(jobId), CancellationToken.None))
            {
                var progress = JsonDocument.Parse((await models.GetBlobClient(item.Name).DownloadContentAsync()).Value.Content.ToMemory()).RootElement;
                perWorker[progress.GetProperty("replica").GetString()!] = perWorker.GetValueOrDefault(progress.GetProperty("replica").GetString()!) + 1;
                trainingSeconds.Add(progress.GetProperty("elapsedSeconds").GetDouble());
            }
            long shardBytes = 0;
            int shardBlobs = 0;
            foreach (var prefix in (string[])[TrainingJobLayout.ShardsFolder(jobId), TrainingJobLayout.ShardProgressFolder(jobId)])
                await foreach (var item in models.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
                {
                    shardBytes += item.Properties.ContentLength ?? 0;
                    shardBlobs++;
                }
            var wall = processes.SelectMany(p => TrainedLine().Matches(p.Output)).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            return new JobRun(workers, threads, seconds, perWorker, wall, trainingSeconds, shardBytes, shardBlobs);
        }
        finally
        {
            foreach (var p in processes) await p.DisposeAsync();
        }
    }

    /// <summary>Persistent 600-byte messages (a shard command's size) published with confirms and consumed, per second.</summary>
    private static async Task<double> BrokerRateAsync(RealInfrastructure infrastructure)
    {
        const int count = 5000;
        var factory = new ConnectionFactory { Uri = new Uri(infrastructure.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var queue = (await channel.QueueDeclareAsync($"bench-{Guid.NewGuid():N}", durable: true, exclusive: false, autoDelete: true)).QueueName;
        var payload = Encoding.UTF8.GetBytes(new string('x', 600));
        var properties = new BasicProperties { Persistent = true };
        var clock = Stopwatch.StartNew();
        var publishing = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            publishing.Add(channel.BasicPublishAsync("", queue, mandatory: false, properties, payload).AsTask());
            if (publishing.Count == 256) { await Task.WhenAll(publishing); publishing.Clear(); }
        }
        await Task.WhenAll(publishing);
        int received = 0;
        while (received < count)
        {
            var got = await channel.BasicGetAsync(queue, autoAck: true);
            if (got is null) await Task.Delay(1); else received++;
        }
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double UploadsPerSecond, double BytesPerSecond)> StorageRateAsync(BlobServiceClient blobs, int size, int count)
    {
        var container = blobs.GetBlobContainerClient("bench-" + Guid.NewGuid().ToString("N")[..12]);
        await container.CreateIfNotExistsAsync();
        try
        {
            var data = BinaryData.FromBytes(new byte[size]);
            await container.GetBlobClient("warm").UploadAsync(data, overwrite: true);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < count; i += 4)
                await Task.WhenAll(Enumerable.Range(i, 4).Select(j => container.GetBlobClient($"b{j}").UploadAsync(data, overwrite: true)));
            double seconds = clock.Elapsed.TotalSeconds;
            return (count / seconds, (double)count * size / seconds);
        }
        finally
        {
            await container.DeleteIfExistsAsync();
        }
    }

    [GeneratedRegex(@"trained in (\d+(?:\.\d+)?) s")]
    private static partial Regex TrainedLine();
}
