using System.Diagnostics;
using Azure.Storage.Blobs;
using Heads.Testing;
using Inference.Service;
using Inference.Service.Serving;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Heads.Benchmarks;

/// <summary>
/// HeadsNet's sharing of the CPU over HTTP: a 1,000-point request's latency while two 1,000,000-point requests run,
/// beside the same request on an idle service in the same run. The inference service takes HeadsNet work in blocks
/// from a first-in, first-out gate (HeadsNetGate), so a small request waits for at most one block of each large one.
/// </summary>
public sealed class HeadsNetFairnessBenchmarks : IBenchmarkSuite
{
    public string Name => "headsnet-fairness";

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
            var jobs = await InferenceLoadBenchmarks.StoreModelsAsync(models, prefix, report, faceNet2: false);

            await using var factory = InferenceLoadBenchmarks.StartService(infrastructure, prefix, serviceLogs: false);
            var registry = factory.Services.GetRequiredService<ModelRegistry>();
            var clock = Stopwatch.StartNew();
            while (registry.Current.Find(jobs.HeadsNet) is null)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException("The service did not load HeadsNet in 2 minutes.");
                await Task.Delay(100);
            }
            var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
            report.Note($"service on {address}, TorchSharp threads {TorchSharp.torch.get_num_threads()}, {Environment.ProcessorCount} cores; HeadsNet of the real size, random weights");

            string Url(int points, int seed) => $"/api/v1/heads/random?seed={seed}&points={points}&model={jobs.HeadsNet}";
            async Task<double> RequestAsync(int points, int seed)
            {
                long t0 = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(Url(points, seed));
                var body = await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{points} points: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
                return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }

            await RequestAsync(1000, 1);
            var idle = new List<double>();
            for (int i = 0; i < 40; i++) idle.Add(await RequestAsync(1000, i + 2));
            double bigAlone = await RequestAsync(1_000_000, 100);
            bigAlone = Math.Min(bigAlone, await RequestAsync(1_000_000, 101));

            // Two large requests, each client starting the next as soon as one ends, while one client sends small ones.
            var beside = new List<double>();
            var big = new List<double>();
            using var stop = new CancellationTokenSource();
            var large = Enumerable.Range(0, 2).Select(async client =>
            {
                int seed = 200 + client * 1000;
                while (!stop.IsCancellationRequested)
                {
                    double ms = await RequestAsync(1_000_000, seed++);
                    lock (big) big.Add(ms);
                }
            }).ToList();
            await Task.Delay(500);
            var window = Stopwatch.StartNew();
            for (int i = 0; window.Elapsed.TotalSeconds < 25 || beside.Count < 40; i++) beside.Add(await RequestAsync(1000, 500 + i));
            stop.Cancel();
            await Task.WhenAll(large);

            double idleP50 = Percentile(idle, 0.5);
            report.Figure("headsnet-fairness: 1,000 points, idle service, p50", idleP50, "ms");
            report.Figure("headsnet-fairness: 1,000 points beside two 1M-point requests, p50", Percentile(beside, 0.5), "ms", idleP50, "idle p50");
            report.Figure("headsnet-fairness: 1,000 points beside two 1M-point requests, p99", Percentile(beside, 0.99), "ms", Percentile(idle, 0.99), "idle p99");
            report.Figure("headsnet-fairness: 1,000,000 points alone", bigAlone, "ms");
            report.Figure("headsnet-fairness: 1,000,000 points beside another and small ones, p50", Percentile(big, 0.5), "ms", bigAlone, "alone");
            report.Note($"{beside.Count} small requests answered during {big.Count} large ones; the 30 s request timeout was not reached.");
        }
        finally
        {
            await infrastructure.DisposeAsync();
        }
    }

    private static double Percentile(IEnumerable<double> values, double p) => InferenceLoadBenchmarks.Percentile(values, p);
}
