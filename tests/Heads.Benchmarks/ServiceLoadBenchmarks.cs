using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Heads.Testing;

namespace Heads.Benchmarks;

/// <summary>
/// The inference service as its own process (its own build output, so its resident memory is the service's alone, native
/// memory included) under 60 s of concurrent requests from a real HTTP load tool, hey, over 127.0.0.1, against real
/// RabbitMQ and Azurite and random-weight models of the real sizes. Reports throughput and latency beside one client
/// (the baseline), errors (connection errors and non-2xx responses; must be 0), and VmRSS sampled every 2 s: after
/// warm-up (the baseline) against the end of the run. FaceNet2 (5.1 GB of weights, ~7 GiB resident) runs only when
/// enough memory is free. HEADS_LOAD_SECONDS sets the FaceNet runs' length (default 60) and HEADS_LOAD_FACENET2=0 leaves
/// FaceNet2 out, for a longer look at one model's memory; HEADS_LOAD_ONLY=TEXT runs only the scenarios whose name has TEXT;
/// HEADS_LOAD_SETTLE_SECONDS=N samples the idle service's memory for N seconds first.
/// </summary>
public sealed partial class ServiceLoadBenchmarks : IBenchmarkSuite
{
    private const double FaceNet2NeedsGiB = 12;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("HEADS_LOAD_SECONDS"), CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? seconds : 60);
    private static readonly TimeSpan SampleEvery = TimeSpan.FromSeconds(2);

    public string Name => "load";

    public void Run(BenchmarkReport report) => RunAsync(report).GetAwaiter().GetResult();

    private static async Task RunAsync(BenchmarkReport report)
    {
        var hey = Environment.GetEnvironmentVariable("HEY") ?? "hey";
        if (!CanRun(hey)) throw new InvalidOperationException($"'{hey}' is not installed: run scripts/install-prerequisites.sh --bench (Debian package hey).");
        double availableGiB = MemAvailableGiB();
        bool faceNet2 = availableGiB >= FaceNet2NeedsGiB && Environment.GetEnvironmentVariable("HEADS_LOAD_FACENET2") != "0";

        var infrastructure = new RealInfrastructure();
        await infrastructure.InitializeAsync();
        var work = Directory.CreateTempSubdirectory("heads-load-");
        Process? service = null;
        try
        {
            var prefix = $"load-{Guid.NewGuid():N}/";
            var models = new BlobServiceClient(infrastructure.BlobsConnectionString).GetBlobContainerClient("models");
            await models.CreateIfNotExistsAsync();
            var jobs = await InferenceLoadBenchmarks.StoreModelsAsync(models, prefix, report, faceNet2);
            if (!faceNet2) report.Note($"FaceNet2 skipped: HEADS_LOAD_FACENET2={Environment.GetEnvironmentVariable("HEADS_LOAD_FACENET2")}, {availableGiB:F1} GiB available, it needs about {FaceNet2NeedsGiB} GiB.");

            var address = new Uri($"http://127.0.0.1:{RealInfrastructure.FreePort()}");
            service = StartService(infrastructure, prefix, address);
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
            var clock = Stopwatch.StartNew();
            await WaitForModelsAsync(http, service, faceNet2 ? 3 : 2);
            report.Figure("load: service start and model load", clock.Elapsed.TotalSeconds, "s");
            report.Note($"inference service pid {service.Id} on {address}, {Environment.ProcessorCount} cores, load tool {hey}; RSS from /proc/{service.Id}/status VmRSS");
            if (int.TryParse(Environment.GetEnvironmentVariable("HEADS_LOAD_SETTLE_SECONDS"), CultureInfo.InvariantCulture, out var settle) && settle > 0)
            {
                // Idle after the models are loaded: what the resident set does with no request at all.
                var idle = new List<string>();
                for (int t = 0; t <= settle; t += (int)SampleEvery.TotalSeconds)
                {
                    idle.Add($"{t}: {StatusMiB(service.Id, "VmRSS"):F0}");
                    await Task.Delay(SampleEvery);
                }
                report.Note($"idle RSS samples (s: MiB): {string.Join(", ", idle)}");
            }

            using var samples = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/samples", UriKind.Relative)));
            var photo = await http.GetByteArrayAsync(new Uri(samples.RootElement[0].GetProperty("url").GetString()!, UriKind.Relative));
            var face = Path.Combine(work.FullName, "face.jpg");
            await File.WriteAllBytesAsync(face, photo);
            report.Note($"request body: the service's first sample face, {photo.Length:N0} bytes JPEG");

            var scenarios = new List<Scenario>
            {
                new("FaceNet3 prediction (JSON)", $"{address}api/v1/faces/predictions?model={jobs.FaceNet3}", face, Clients: 8, Duration, BaselineRequests: 200),
            };
            if (faceNet2)
                scenarios.Add(new("FaceNet2 prediction, 32768 nets (JSON)", $"{address}api/v1/faces/predictions?model={jobs.FaceNet2}", face, Clients: 8, Duration, BaselineRequests: 10));
            scenarios.Add(new("HeadsNet head, 200,000 points (PLY)", $"{address}api/v1/heads/random?seed=0.5&points=200000&model={jobs.HeadsNet}", null, Clients: 2, TimeSpan.FromSeconds(20), BaselineRequests: 5));
            scenarios.Add(new("HeadsNet head, 200,000 points, bf16 (PLY)", $"{address}api/v1/heads/random?seed=0.5&points=200000&precision=bf16&model={jobs.HeadsNet}", null, Clients: 2, TimeSpan.FromSeconds(20), BaselineRequests: 5));

            if (Environment.GetEnvironmentVariable("HEADS_LOAD_ONLY") is { Length: > 0 } only)
                scenarios.RemoveAll(s => !s.What.Contains(only, StringComparison.OrdinalIgnoreCase));
            long totalErrors = 0;
            foreach (var scenario in scenarios) totalErrors += await RunScenarioAsync(report, hey, service, scenario);
            report.Figure("load: errors over all runs (connection errors + non-2xx)", totalErrors, "requests");
            report.Figure("load: service peak resident memory (VmHWM)", StatusMiB(service.Id, "VmHWM"), "MiB");
        }
        finally
        {
            if (service is { HasExited: false })
            {
                service.Kill(entireProcessTree: true);
                await service.WaitForExitAsync();
            }
            service?.Dispose();
            await infrastructure.DisposeAsync();
            work.Delete(recursive: true);
        }
    }

    private sealed record Scenario(string What, string Url, string? Body, int Clients, TimeSpan Duration, int BaselineRequests);

    /// <summary>Warm-up, one client (the baseline), then the timed run with RSS sampling; returns the errors seen in the timed run.</summary>
    private static async Task<long> RunScenarioAsync(BenchmarkReport report, string hey, Process service, Scenario s)
    {
        await HeyAsync(hey, s, ["-z", "5s", "-c", s.Clients.ToString(CultureInfo.InvariantCulture)]);
        var single = await HeyAsync(hey, s, ["-n", s.BaselineRequests.ToString(CultureInfo.InvariantCulture), "-c", "1"]);

        var rss = new List<(double Seconds, double MiB)>();
        var clock = Stopwatch.StartNew();
        rss.Add((0, StatusMiB(service.Id, "VmRSS")));
        var run = HeyAsync(hey, s, ["-z", $"{s.Duration.TotalSeconds:F0}s", "-c", s.Clients.ToString(CultureInfo.InvariantCulture)]);
        while (!run.IsCompleted)
        {
            await Task.WhenAny(run, Task.Delay(SampleEvery));
            if (!run.IsCompleted) rss.Add((clock.Elapsed.TotalSeconds, StatusMiB(service.Id, "VmRSS")));
        }
        rss.Add((clock.Elapsed.TotalSeconds, StatusMiB(service.Id, "VmRSS")));
        var loaded = await run;

        string label = $"{s.What}, {s.Clients} clients, {s.Duration.TotalSeconds:F0} s";
        report.Figure($"{label}: requests", loaded.Requests, "requests");
        report.Figure($"{label}: throughput", loaded.RequestsPerSecond, "req/s", single.RequestsPerSecond, "1 client");
        report.Figure($"{label}: p50", loaded.P50Ms, "ms", single.P50Ms, "1 client p50");
        report.Figure($"{label}: p99", loaded.P99Ms, "ms", single.P99Ms, "1 client p99");
        report.Figure($"{label}: errors (connection + non-2xx)", loaded.Errors, "requests");
        foreach (var line in loaded.ErrorLines) report.Note("error: " + line);
        double start = rss[0].MiB, end = rss[^1].MiB, peak = rss.Max(r => r.MiB);
        report.Figure($"{label}: RSS at start (after warm-up)", start, "MiB");
        report.Figure($"{label}: RSS at end", end, "MiB", start, "start");
        report.Figure($"{label}: RSS growth", end - start, "MiB");
        report.Figure($"{label}: RSS growth", 100 * (end - start) / start, "%");
        report.Figure($"{label}: RSS peak during the run", peak, "MiB", start, "start");
        // The managed heap makes RSS a sawtooth; growth shows as a higher top in the second half than in the first.
        double half = s.Duration.TotalSeconds / 2;
        double firstTop = rss.Where(r => r.Seconds < half).Max(r => r.MiB), secondTop = rss.Where(r => r.Seconds >= half).Max(r => r.MiB);
        report.Figure($"{label}: RSS top, second half of the run", secondTop, "MiB", firstTop, "first half");
        report.Note($"RSS samples (s: MiB): {string.Join(", ", rss.Select(r => $"{r.Seconds:F0}: {r.MiB:F0}"))}");
        return loaded.Errors;
    }

    private sealed record HeyResult(long Requests, double RequestsPerSecond, double P50Ms, double P99Ms, long Errors, IReadOnlyList<string> ErrorLines);

    private static async Task<HeyResult> HeyAsync(string hey, Scenario s, string[] load)
    {
        var psi = new ProcessStartInfo(hey) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in load) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-t");
        psi.ArgumentList.Add("60");
        if (s.Body is { } body)
            foreach (var a in new[] { "-m", "POST", "-T", "image/jpeg", "-D", body }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(s.Url);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {hey}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        if (process.ExitCode != 0) throw new InvalidOperationException($"{hey} exited with {process.ExitCode}: {await stderr}\n{output}");
        return ParseHey(output);
    }

    /// <summary>hey's summary: Requests/sec, the latency distribution, "[code] N responses" and "[N] error" lines.</summary>
    private static HeyResult ParseHey(string output)
    {
        static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);
        var rate = Number(RequestsPerSecond().Match(output).Groups[1].Value);
        // With few requests hey repeats "0% in 0.0000 secs" for the percentiles it cannot give.
        var latency = LatencyLine().Matches(output).GroupBy(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => Number(g.First().Groups[2].Value) * 1000);
        long ok = 0, errors = 0;
        var errorLines = new List<string>();
        int errorSection = output.IndexOf("Error distribution:", StringComparison.Ordinal);
        foreach (Match m in StatusLine().Matches(errorSection < 0 ? output : output[..errorSection]))
        {
            long count = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (m.Groups[1].Value.StartsWith('2')) ok += count;
            else
            {
                errors += count;
                errorLines.Add($"HTTP {m.Groups[1].Value}: {count}");
            }
        }
        if (errorSection >= 0)
            foreach (Match m in ErrorLine().Matches(output[errorSection..]))
            {
                errors += long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                errorLines.Add(m.Value.Trim());
            }
        // A warm-up of a few slow requests gets no median either; the mean stands in (warm-ups are not reported).
        if (!latency.TryGetValue(50, out var p50) || p50 == 0) p50 = Number(Average().Match(output).Groups[1].Value) * 1000;
        // Below 100 requests hey prints no 99th percentile; the slowest request is then the p99.
        if (!latency.TryGetValue(99, out var p99) || p99 == 0) p99 = Number(Slowest().Match(output).Groups[1].Value) * 1000;
        return new HeyResult(ok + errors, rate, p50, p99, errors, errorLines);
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"Average:\s+([0-9.]+) secs")]
    private static partial Regex Average();

    [GeneratedRegex(@"Slowest:\s+([0-9.]+) secs")]
    private static partial Regex Slowest();

    [GeneratedRegex(@"(\d+)% in ([0-9.]+) secs")]
    private static partial Regex LatencyLine();

    [GeneratedRegex(@"\[(\d{3})\]\s+(\d+) responses")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"\[(\d+)\]\s+[^\n]+")]
    private static partial Regex ErrorLine();

    private static Process StartService(RealInfrastructure infrastructure, string prefix, Uri address)
    {
        var configuration = typeof(ServiceLoadBenchmarks).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var folder = Path.Combine(RealInfrastructure.RepositoryRoot(), "Inference.Service", "bin", configuration, "net10.0");
        var psi = new ProcessStartInfo(Path.Combine(folder, "Inference.Service")) { UseShellExecute = false, WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["ASPNETCORE_URLS"] = address.ToString();
        psi.Environment["ConnectionStrings__rabbitmq"] = infrastructure.RabbitMqConnectionString;
        psi.Environment["ConnectionStrings__blobs"] = infrastructure.BlobsConnectionString;
        psi.Environment["Inference__ModelsPrefix"] = prefix;
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the inference service.");
        // Drained so a full pipe never blocks the service; warnings and errors are shown.
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.WriteLine("  [inference] " + line); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) Console.WriteLine("  [inference] " + line); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForModelsAsync(HttpClient http, Process service, int count)
    {
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (true)
        {
            if (service.HasExited) throw new InvalidOperationException($"The inference service exited with {service.ExitCode}.");
            try
            {
                using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/models", UriKind.Relative)));
                if (doc.RootElement.GetProperty("models").GetArrayLength() >= count) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The inference service did not load {count} models in 10 minutes.");
            await Task.Delay(500);
        }
    }

    private static bool CanRun(string file)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, "-h") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false });
            p!.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>A /proc/{pid}/status field in MiB (VmRSS: resident now; VmHWM: peak), native memory included.</summary>
    private static double StatusMiB(int pid, string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return double.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        throw new InvalidDataException($"/proc/{pid}/status has no {field}.");
    }

    private static double MemAvailableGiB()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                return double.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / (1024.0 * 1024);
        return 0;
    }
}
