using System.Text;
using Heads.Core.Contracts;
using Heads.Core.Models;
using Inference.Service.Apis;
using Inference.Service.Serving;

namespace Inference.Service.Tests;

/// <summary>The pieces of the service that need no broker or storage.</summary>
public sealed class ServingUnitTests
{
    private static JobManifest Parse(string json, string blob = "3f2504e0-4f89-11d3-9a0c-0305e82c3301/manifest.json") =>
        JobManifest.Parse(Encoding.UTF8.GetBytes(json), blob, "\"etag\"", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

    [Fact]
    public void A_job_manifest_is_read_tolerantly()
    {
        var job = Parse("""{"Model":"facenet3","DatasetId":"d1","Weights":"x/model.safetensors","Quality":{"iou":{"model":0.5}},"extra":[1,2]}""");
        Assert.Equal(Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), job.JobId);
        Assert.Equal(TrainingModel.FaceNet3, job.Model);
        Assert.Equal("d1", job.DatasetId);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), job.CreatedAt);
        Assert.Equal(0.5, job.Quality!["iou"]!["model"]!.GetValue<double>());
        Assert.True(job.Document.ContainsKey("extra"));
        Assert.Null(job.ModelManifest);

        var sharded = Parse("""
            {"jobId":"8c2d56f0-0000-4000-8000-000000000001","model":"FaceNet2","createdAt":"2026-03-01T10:00:00Z",
             "shards":[{"first":0,"count":"16384","weights":"a.safetensors"},{"first":16384,"count":16384,"weights":"b.safetensors","manifest":"b.json"}]}
            """);
        Assert.Equal(Guid.Parse("8c2d56f0-0000-4000-8000-000000000001"), sharded.JobId);
        Assert.Equal([new ShardReference(0, 16384, "a.safetensors", null), new ShardReference(16384, 16384, "b.safetensors", "b.json")], sharded.Shards);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero), sharded.CreatedAt);
    }

    [Theory]
    [InlineData("""[1,2]""", "JSON object")]
    [InlineData("{\"model\":\"FaceNet3\"", "not valid JSON")]
    [InlineData("""{"weights":"w"}""", "'model' is missing")]
    [InlineData("""{"model":"FaceNet9","weights":"w"}""", "FaceNet9")]
    [InlineData("""{"model":"2","weights":"w"}""", "'2'")]
    [InlineData("""{"model":"FaceNet3"}""", "needs a 'weights' blob")]
    [InlineData("""{"model":"FaceNet2","weights":"w"}""", "non-empty 'shards'")]
    [InlineData("""{"model":"FaceNet2","shards":[{"first":0,"weights":"w"}]}""", "shards[0] has no 'count'")]
    [InlineData("""{"model":"HeadsNet","weights":"w","jobId":"nope"}""", "not a GUID")]
    [InlineData("""{"model":"HeadsNet","weights":"w","createdAt":"yesterday"}""", "not a date")]
    [InlineData("""{"model":"HeadsNet","weights":{"path":"w"}}""", "'weights' must be a blob name or the engine's model manifest")]
    [InlineData("""{"model":"HeadsNet","weights":"w","modelManifest":{"kind":"HeadsNet"}}""", "'modelManifest' must be a blob name or the engine's model manifest")]
    public void Bad_job_manifests_name_the_blob_and_the_fault(string json, string fault)
    {
        var e = Assert.Throws<FormatException>(() => Parse(json));
        Assert.Contains("3f2504e0-4f89-11d3-9a0c-0305e82c3301/manifest.json", e.Message);
        Assert.Contains(fault, e.Message);
    }

    [Fact]
    public void A_job_without_an_id_needs_a_job_folder()
    {
        var e = Assert.Throws<FormatException>(() => Parse("""{"model":"HeadsNet","weights":"w"}""", "loose/manifest.json"));
        Assert.Contains("no jobId", e.Message);
    }

    private sealed class CountingPredictor : IVolumePredictor, IDisposable
    {
        public int Passes;
        public int Faces;
        public bool Disposed;
        public readonly ManualResetEventSlim Gate = new(true);

        public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
        {
            Gate.Wait();
            Interlocked.Increment(ref Passes);
            Interlocked.Add(ref Faces, faces.Length / 1024);
            var volumes = new byte[faces.Length / 1024 * 32768];
            // Each face's volume is its first pixel repeated, so rows cannot be mixed up unnoticed.
            for (int f = 0; f < faces.Length / 1024; f++) volumes.AsSpan(f * 32768, 32768).Fill(faces[f * 1024]);
            return volumes;
        }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public async Task The_batcher_puts_queued_faces_into_one_pass_and_returns_each_its_own_volume()
    {
        var predictor = new CountingPredictor();
        var batcher = new VolumeBatcher(predictor, maxBatch: 8, TimeSpan.Zero);
        predictor.Gate.Reset();
        var first = batcher.PredictAsync(Face(0));
        await Task.Delay(100, TestContext.Current.CancellationToken); // the loop is now blocked inside the first pass
        var queued = Enumerable.Range(1, 20).Select(i => batcher.PredictAsync(Face((byte)i))).ToArray();
        predictor.Gate.Set();
        var volumes = await Task.WhenAll(queued.Prepend(first));
        for (int i = 0; i <= 20; i++) Assert.All(volumes[i], v => Assert.Equal(i, v));
        // 1 (alone) + 20 queued in passes of at most 8.
        Assert.Equal(1 + 3, predictor.Passes);
        Assert.Equal(21, predictor.Faces);
        batcher.Complete();
        await batcher.Completion.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => batcher.PredictAsync(Face(1)));
    }

    [Fact]
    public async Task A_failing_pass_fails_only_its_requests_and_cancelled_requests_are_dropped()
    {
        var batcher = new VolumeBatcher(new FailingPredictor(), maxBatch: 4, TimeSpan.FromMilliseconds(5));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.PredictAsync(Face(1)));
        Assert.Equal("boom", e.Message);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => batcher.PredictAsync(Face(1), cancelled.Token));
        await Assert.ThrowsAsync<ArgumentException>(() => batcher.PredictAsync(new byte[10]));
        batcher.Complete();
    }

    private sealed class FailingPredictor : IVolumePredictor
    {
        public byte[] PredictVolumes(ReadOnlySpan<byte> faces) => throw new InvalidOperationException("boom");
    }

    [Fact]
    public void The_default_is_the_pinned_model_else_the_newest_promoted_one_and_never_a_refused_one()
    {
        ServedModel Served(string id, string model, string created, string? promotion) => ServedModel.ForVolumes(
            Parse($$"""{"jobId":"{{id}}","model":"{{model}}","weights":"w","createdAt":"{{created}}"{{(promotion is null ? "" : ",\"promotion\":" + promotion)}}}"""),
            new CountingPredictor(), 1, 0, p => new VolumeBatcher(p, 1, TimeSpan.Zero));
        var legacy = Served("00000000-0000-4000-8000-000000000001", "FaceNet3", "2026-01-01T00:00:00Z", null);
        var promoted = Served("00000000-0000-4000-8000-000000000002", "FaceNetPca", "2026-01-02T00:00:00Z", """{"promoted":true,"reason":"promoted: beats both baselines"}""");
        var refused = Served("00000000-0000-4000-8000-000000000003", "FaceNet3", "2026-01-03T00:00:00Z", """{"promoted":false,"reason":"not promoted: does not beat its baselines"}""");
        Assert.Equal((false, "not promoted: does not beat its baselines"), (refused.Job.Promoted, refused.Job.PromotionReason));
        Assert.Null(legacy.Job.Promoted);

        var snapshot = new ModelSnapshot([legacy, promoted, refused], [], DateTimeOffset.UtcNow, 1);
        Assert.Same(refused, snapshot.Models[0]); // newest
        Assert.Same(promoted, snapshot.DefaultFaceNet()); // the newest that passed the gate
        Assert.Same(legacy, new ModelSnapshot([legacy, refused], [], DateTimeOffset.UtcNow, 1).DefaultFaceNet()); // written before the gate
        Assert.Null(new ModelSnapshot([refused], [], DateTimeOffset.UtcNow, 1).DefaultFaceNet());

        var pinned = new ModelSnapshot([legacy, promoted, refused], [], DateTimeOffset.UtcNow, 1, new Heads.Core.Training.Jobs.ModelPins { Volumes = refused.JobId });
        Assert.Same(refused, pinned.DefaultFaceNet()); // a pin overrides the gate
        var gone = new ModelSnapshot([legacy, promoted], [], DateTimeOffset.UtcNow, 1, new Heads.Core.Training.Jobs.ModelPins { Volumes = refused.JobId });
        Assert.Same(promoted, gone.DefaultFaceNet()); // a pin to a model no longer served falls back

        var (none, problem) = ModelSelection.Resolve(new ModelSnapshot([refused], [], DateTimeOffset.UtcNow, 1), null, ModelSelection.Family.Volumes);
        Assert.Null(none);
        Assert.NotNull(problem);
        var (byKind, _) = ModelSelection.Resolve(new ModelSnapshot([refused], [], DateTimeOffset.UtcNow, 1), "facenet3", ModelSelection.Family.Volumes);
        Assert.Same(refused, byKind); // asked for by kind or id, a refused model still answers
    }

    private static byte[] Face(byte value) => Enumerable.Repeat(value, 1024).ToArray();

    [Fact]
    public void A_retired_model_is_disposed_only_after_its_last_lease()
    {
        var predictor = new CountingPredictor();
        var job = Parse("""{"model":"FaceNet3","weights":"w"}""");
        var model = ServedModel.ForVolumes(job, predictor, 1, 0, p => new VolumeBatcher(p, 1, TimeSpan.Zero));
        var registry = new ModelRegistry();
        registry.Publish(new ModelSnapshot([model], [], DateTimeOffset.UtcNow, 1));

        var lease = registry.Acquire(s => s.DefaultFaceNet());
        Assert.NotNull(lease);
        registry.Publish(new ModelSnapshot([], [], DateTimeOffset.UtcNow, 2));
        Assert.False(predictor.Disposed);
        Assert.Null(registry.Acquire(s => s.Find(job.JobId)));
        Assert.False(model.TryAcquire() && predictor.Disposed);
        model.Release(); // the TryAcquire above succeeded while a lease was still out
        lease!.Dispose();
        lease.Dispose(); // once only
        Assert.True(predictor.Disposed);
        Assert.True(model.IsDisposed);
        Assert.False(model.TryAcquire());
    }

    [Fact]
    public void Volume_text_formats_have_the_documented_shapes()
    {
        var volume = new byte[32768];
        volume[0] = 7;
        volume[32767] = 255;
        var csv = Encoding.ASCII.GetString(VolumeFormats.VolumeCsv(volume));
        Assert.StartsWith("7,0,0,", csv);
        Assert.EndsWith(",0,255\n", csv);
        Assert.Equal(32768, csv.Split(',').Length);
        var json = System.Text.Json.JsonDocument.Parse(VolumeFormats.VolumeJson(volume, "FaceNet3", Guid.Empty)).RootElement;
        Assert.Equal("FaceNet3", json.GetProperty("model").GetString());
        Assert.Equal(32, json.GetProperty("size").GetInt32());
        Assert.Equal(32768, json.GetProperty("data").GetArrayLength());
        Assert.Equal(255, json.GetProperty("data")[32767].GetInt32());

        var cloud = new HeadPointCloud([0.5f, -1.25f, 3e-7f], [1, 2, 255]);
        Assert.Equal("0.5,-1.25,3E-07,1,2,255\n", Encoding.ASCII.GetString(VolumeFormats.PointCloudCsv(cloud).Span));
    }
}
