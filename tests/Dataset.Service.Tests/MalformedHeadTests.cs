using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Heads.Testing.Malformed;

namespace Dataset.Service.Tests;

/// <summary>
/// The malformed corpus through the bus: HeadScraped events whose mesh or photo blob is a corpus file. Each bad head is
/// rejected with its reason (listed as rejected, and its message in the error queue with that reason in the fault
/// headers), nothing of it is written under heads/, the odd-but-valid ones become samples, and the service stays healthy
/// and processes a good head afterwards.
/// </summary>
public sealed class MalformedHeadTests(ServiceFixture service)
{
    private const string ErrorQueue = "dataset-head-scraped_error";

    private sealed record Expectation(string HeadId, bool Rejected, string Stage, string Reason);

    [Fact]
    public async Task Every_corpus_file_is_rejected_with_its_reason_or_processed_and_nothing_is_half_written()
    {
        var ct = TestContext.Current.CancellationToken;
        var goodPhoto = MalformedImages.Valid("jpeg");
        var goodMesh = System.Text.Encoding.ASCII.GetBytes(MalformedPlys.AsciiCube);
        var expected = new List<Expectation>();
        foreach (var ply in MalformedPlys.All)
        {
            var id = "corpus-ply-" + ply.Name;
            await service.StoreHeadAsync(id, ply.Bytes, goodPhoto);
            expected.Add(new(id, ply.Verdict != MeshVerdict.Accepted, "Mesh", ply.Reason));
        }
        foreach (var image in MalformedImages.All)
        {
            var id = "corpus-img-" + image.Name;
            await service.StoreHeadAsync(id, goodMesh, image.Bytes);
            // On the bus there is no content type: only what the decoder makes of the bytes counts.
            expected.Add(new(id, !image.Decodable, "Photo", image.Reason));
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var e in expected) await service.Bus.Publish(ServiceFixture.ScrapedEvent(e.HeadId), ct);

        Dictionary<string, JsonElement> rejected = [];
        HashSet<string> processed = [];
        await ServiceFixture.WaitForAsync(async () =>
        {
            rejected = (await service.GetJsonAsync("/api/v1/heads/rejected?limit=5000")).GetProperty("rejected").EnumerateArray()
                .Where(r => r.GetProperty("headId").GetString()!.StartsWith("corpus-", StringComparison.Ordinal))
                .ToDictionary(r => r.GetProperty("headId").GetString()!);
            processed = (await service.GetJsonAsync("/api/v1/heads?prefix=corpus-&limit=5000")).GetProperty("ids").EnumerateArray()
                .Select(i => i.GetString()!).ToHashSet();
            return expected.All(e => rejected.ContainsKey(e.HeadId) || processed.Contains(e.HeadId));
        }, "every corpus head processed or rejected", seconds: 120);
        var elapsed = clock.Elapsed;

        foreach (var e in expected)
        {
            if (!e.Rejected)
            {
                Assert.True(processed.Contains(e.HeadId), $"{e.HeadId} should have been processed; rejected: {(rejected.TryGetValue(e.HeadId, out var r) ? r.GetProperty("reason").GetString() : "no")}");
                continue;
            }
            Assert.True(rejected.TryGetValue(e.HeadId, out var rejection), $"{e.HeadId} should have been rejected");
            Assert.DoesNotContain(e.HeadId, processed);
            Assert.Equal(e.Stage, rejection.GetProperty("stage").GetString());
            Assert.Contains(e.Reason, rejection.GetProperty("reason").GetString(), StringComparison.OrdinalIgnoreCase);
            // Nothing half-written: no sample file (and no marker) for a rejected head.
            await foreach (var blob in service.Datasets.GetBlobsAsync(new GetBlobsOptions { Prefix = $"heads/{e.HeadId}/" }, ct))
                Assert.Fail($"{e.HeadId} was rejected but {blob.Name} exists.");
        }

        // Each rejected message went to the error queue once (no retries for bad input), its reason in the fault headers.
        var rejectedIds = expected.Where(e => e.Rejected).ToList();
        var faults = await Heads.Testing.ErrorQueue.WaitForAsync(service.Infrastructure.RabbitMqConnectionString, ErrorQueue,
            seen => rejectedIds.All(e => seen.Any(m => m.Body.Contains($"\"{e.HeadId}\"", StringComparison.Ordinal))), TimeSpan.FromSeconds(30), ct);
        foreach (var e in rejectedIds)
        {
            var fault = Assert.Single(faults, m => m.Body.Contains($"\"{e.HeadId}\"", StringComparison.Ordinal));
            Assert.Contains(e.Reason, fault.Reason, StringComparison.OrdinalIgnoreCase);
            Assert.False(string.IsNullOrEmpty(fault.ExceptionType));
        }

        // Still healthy, and a good head sent after the corpus is processed.
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/health", ct)).StatusCode);
        await service.ProcessHeadsAsync(["after-corpus-00"]);
        TestContext.Current.SendDiagnosticMessage(
            $"Bus corpus: {expected.Count} heads ({MalformedPlys.All.Count} PLYs, {MalformedImages.All.Count} images), {rejectedIds.Count} rejected, {expected.Count - rejectedIds.Count} processed in {elapsed.TotalSeconds:F1} s.");
    }
}
