using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Core.Imaging;
using Heads.Core.Inference;
using Heads.Core.Models;
using Heads.Testing;
using Inference.Service;
using Inference.Service.Serving;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Heads.Benchmarks;

/// <summary>
/// The inference service under load from a real HTTP client over 127.0.0.1: the service runs in this process on
/// Kestrel against real RabbitMQ and Azurite, serving random-weight models of the real sizes (FaceNet3; FaceNet2 with
/// all 32,768 voxel networks, none pruned, in 16 shards; HeadsNet). Each figure stands beside the same model called
/// in-process without HTTP, measured in the same run on the same loaded instance.
/// </summary>
public sealed class InferenceLoadBenchmarks : IBenchmarkSuite
{
    private const int ShardSize = 2048;

    public string Name => "inference-http";

    public void Run(BenchmarkReport report) => RunAsync(report).GetAwaiter().GetResult();

    private static async Task RunAsync(BenchmarkReport report)
    {
        var infrastructure = new RealInfrastructure();
        await infrastructure.InitializeAsync();
        try
        {
            var prefix = $"bench-{Guid.NewGuid():N}/";
            var models = new BlobServiceClient(infrastructure.BlobsConnectionString).GetBlobContainerClient("models");
            await models.CreateIfNotExistsAsync();
            var jobs = await StoreModelsAsync(models, prefix, report);

            var clock = Stopwatch.StartNew();
            await using var factory = StartService(infrastructure, prefix, serviceLogs: true);
            var registry = factory.Services.GetRequiredService<ModelRegistry>();
            while (registry.Current.Models.Count < 3)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException("The service did not load the three models in 10 minutes.");
                await Task.Delay(200);
            }
            report.Figure("inference-http: start and load 3 models (5.1 GB FaceNet2)", clock.Elapsed.TotalSeconds, "s");
            report.Figure("inference-http: FaceNet2 load from Azurite", registry.Current.Find(jobs.FaceNet2)!.LoadSeconds, "s");
            var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            report.Note($"service on {address}, TorchSharp threads {TorchSharp.torch.get_num_threads()}, {Environment.ProcessorCount} cores");

            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            var samples = JsonDocument.Parse(await http.GetStringAsync("/api/v1/samples")).RootElement;
            var photo = await http.GetByteArrayAsync(samples[0].GetProperty("url").GetString());
            var face = FaceImage.Load(photo);
            report.Note($"request photo: synthetic sample face, {photo.Length:N0} bytes JPEG");

            using (var lease = registry.Acquire(s => s.Find(jobs.FaceNet3))!)
                await CompareAsync(report, "FaceNet3 prediction (JSON)", http, $"/api/v1/faces/predictions?model={jobs.FaceNet3}", photo,
                    () => lease.Model.Volumes!.PredictVolumes(face), sequential: 300, clients: 8, seconds: 5, baselineCalls: 300);

            using (var lease = registry.Acquire(s => s.Find(jobs.FaceNet2))!)
                await CompareAsync(report, "FaceNet2 prediction, 32768 nets (JSON)", http, $"/api/v1/faces/predictions?model={jobs.FaceNet2}", photo,
                    () => lease.Model.Volumes!.PredictVolumes(face), sequential: 8, clients: 8, seconds: 10, baselineCalls: 5);

            using (var lease = registry.Acquire(s => s.Find(jobs.HeadsNet))!)
                await CompareAsync(report, "HeadsNet head, 200,000 points (PLY)", http, $"/api/v1/heads/random?seed=0.5&points=200000&model={jobs.HeadsNet}", null,
                    () => HeadsNetSampler.Sample(lease.Model.Heads!, 0.5f, 200_000), sequential: 6, clients: 2, seconds: 8, baselineCalls: 4);
            using (var lease = registry.Acquire(s => s.Find(jobs.HeadsNet))!)
                await CompareAsync(report, "HeadsNet head, 200,000 points, bf16 (PLY)", http, $"/api/v1/heads/random?seed=0.5&points=200000&precision=bf16&model={jobs.HeadsNet}", null,
                    () => HeadsNetSampler.Sample(lease.Model.Heads!, 0.5f, 200_000, precision: HeadsNetPrecision.BFloat16), sequential: 6, clients: 2, seconds: 8, baselineCalls: 4);

            report.Figure("inference-http: peak resident memory", PeakResidentMiB(), "MiB");
        }
        finally
        {
            await infrastructure.DisposeAsync();
        }
    }

    internal sealed record Jobs(Guid FaceNet3, Guid FaceNet2, Guid HeadsNet);

    /// <summary>The inference service in this process on Kestrel (a loopback port), serving the models under <paramref name="prefix"/>.</summary>
    internal static WebApplicationFactory<InferenceOptions> StartService(RealInfrastructure infrastructure, string prefix, bool serviceLogs)
    {
        var factory = new WebApplicationFactory<InferenceOptions>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in infrastructure.ConnectionStrings) web.UseSetting(key, value);
            web.UseSetting("Inference:ModelsPrefix", prefix);
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            if (serviceLogs) web.UseSetting("Logging:LogLevel:Inference.Service", "Information");
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        return factory;
    }

    /// <summary>Random-weight models of the real sizes under <paramref name="prefix"/>; FaceNet2 (5.1 GB) only when <paramref name="faceNet2"/>.</summary>
    internal static async Task<Jobs> StoreModelsAsync(BlobContainerClient models, string prefix, BenchmarkReport report, bool faceNet2 = true)
    {
        var clock = Stopwatch.StartNew();
        var jobs = new Jobs(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;

        using (var faceNet3 = new FaceNetModel(new DenseNetwork(DenseArchitecture.FaceNet3, 3), new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3, DatasetId = "bench" }))
        {
            var manifest = await WriteAsync(models, prefix + ModelJobLayout.WeightsBlob(jobs.FaceNet3), faceNet3.Save);
            await WriteJsonAsync(models, prefix + ModelJobLayout.ManifestBlob(jobs.FaceNet3), ModelJobLayout.SingleNetworkManifest(jobs.FaceNet3, TrainingModel.FaceNet3, "bench", now, manifest).ToJsonString());
        }

        using (var headsNet = new HeadsNetModel(new DenseNetwork(DenseArchitecture.HeadsNet, 5), new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = DenseArchitecture.HeadsNet, DatasetId = "bench" }))
        {
            var manifest = await WriteAsync(models, prefix + ModelJobLayout.WeightsBlob(jobs.HeadsNet), headsNet.Save);
            await WriteJsonAsync(models, prefix + ModelJobLayout.ManifestBlob(jobs.HeadsNet), ModelJobLayout.SingleNetworkManifest(jobs.HeadsNet, TrainingModel.HeadsNet, "bench", now, manifest).ToJsonString());
        }

        if (!faceNet2)
        {
            report.Figure("inference-http: build and store models (setup)", clock.Elapsed.TotalSeconds, "s");
            return jobs;
        }
        var shards = new List<(int First, int Count)>();
        for (int first = 0; first < VolumePostProcessing.VolumeVoxels; first += ShardSize)
        {
            var voxels = Enumerable.Range(first, ShardSize).ToArray();
            var manifest = new ModelManifest
            {
                Kind = ModelKind.FaceNet2Shard,
                Architecture = DenseArchitecture.FaceNet2Voxel,
                DatasetId = "bench",
                Voxels = new VoxelRange(first, ShardSize, ShardSize, 0),
            };
            using var shard = new VoxelShard(manifest, voxels, [], [], new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, voxels, 2));
            var saved = await WriteAsync(models, prefix + ModelJobLayout.ShardWeightsBlob(jobs.FaceNet2, first, ShardSize), shard.Save);
            await WriteJsonAsync(models, prefix + ModelJobLayout.ShardManifestBlob(jobs.FaceNet2, first, ShardSize), saved.ToJson());
            shards.Add((first, ShardSize));
        }
        await WriteJsonAsync(models, prefix + ModelJobLayout.ManifestBlob(jobs.FaceNet2), ModelJobLayout.ShardedManifest(jobs.FaceNet2, "bench", now.AddMinutes(-1), shards).ToJsonString());
        report.Figure("inference-http: build and store models (setup)", clock.Elapsed.TotalSeconds, "s");
        return jobs;
    }

    private static async Task<ModelManifest> WriteAsync(BlobContainerClient models, string name, Func<Stream, ModelManifest> save)
    {
        // Streamed straight into the blob: a FaceNet2 shard is 320 MB.
        await using var stream = await models.GetBlobClient(name).OpenWriteAsync(overwrite: true, new BlobOpenWriteOptions { BufferSize = 8 << 20 });
        return await Task.Run(() => save(stream));
    }

    private static Task WriteJsonAsync(BlobContainerClient models, string name, string json) =>
        models.GetBlobClient(name).UploadAsync(BinaryData.FromString(json), overwrite: true);

    /// <summary>Sequential latency and concurrent throughput over HTTP, beside the in-process call.</summary>
    private static async Task CompareAsync(BenchmarkReport report, string what, HttpClient http, string url, byte[]? photo, Action inProcess,
        int sequential, int clients, double seconds, int baselineCalls)
    {
        inProcess();
        var baseline = new List<double>();
        for (int i = 0; i < baselineCalls; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            inProcess();
            baseline.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        async Task<double> Request()
        {
            long t0 = Stopwatch.GetTimestamp();
            using var response = photo is null
                ? await http.GetAsync(url)
                : await http.PostAsync(url, Image(photo));
            var body = await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        await Request();
        var single = new List<double>();
        for (int i = 0; i < sequential; i++) single.Add(await Request());

        var loaded = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (clock.Elapsed.TotalSeconds < seconds) loaded.Add(await Request());
        }));
        double elapsed = clock.Elapsed.TotalSeconds;

        double baseP50 = Percentile(baseline, 0.5), baseP99 = Percentile(baseline, 0.99);
        report.Figure($"{what}: p50, 1 client", Percentile(single, 0.5), "ms", baseP50, "in-process p50");
        report.Figure($"{what}: p99, 1 client", Percentile(single, 0.99), "ms", baseP99, "in-process p99");
        report.Figure($"{what}: p50, {clients} clients", Percentile(loaded, 0.5), "ms", baseP50, "in-process p50");
        report.Figure($"{what}: p99, {clients} clients", Percentile(loaded, 0.99), "ms", baseP99, "in-process p99");
        report.Figure($"{what}: throughput, {clients} clients", loaded.Count / elapsed, "req/s", 1000 / baseline.Average(), "in-process sequential");
    }

    private static double PeakResidentMiB()
    {
        // VmHWM is tab-separated from its value on this kernel.
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    private static ByteArrayContent Image(byte[] photo)
    {
        var content = new ByteArrayContent(photo);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        return content;
    }

    internal static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        double rank = p * (sorted.Length - 1);
        int low = (int)Math.Floor(rank), high = (int)Math.Ceiling(rank);
        return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
    }
}
