using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using Heads.Core.FaceTo3D;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;
using Heads.Testing;

[assembly: AssemblyFixture(typeof(RealInfrastructure))]

namespace Inference.Service.Tests;

/// <summary>POST /api/v1/faces/predictions against stored FaceNet3 and FaceNet2 models, in every format.</summary>
public sealed partial class ServingTests
{
    private static readonly byte[] TestFace = FaceImage.Load(Http.TestFacePhoto);

    private byte[] Expected(string model) => model == "facenet3" ? host.FaceNet3.PredictVolumes(TestFace) : host.FaceNet2.PredictVolumes(TestFace);

    private Guid JobOf(string model) => model == "facenet3" ? host.FaceNet3Job : host.FaceNet2Job;

    [Theory]
    [InlineData("facenet3")]
    [InlineData("facenet2")]
    public async Task Every_format_carries_the_engines_prediction_for_the_real_test_face(string model)
    {
        var expected = Expected(model);
        var url = $"/api/v1/faces/predictions?model={model}";

        var json = await Http.PostAsync(host.Client, url, Http.Multipart(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        var volume = await Http.ReadAsync<VolumeJson>(json);
        Assert.Equal(model == "facenet3" ? "FaceNet3" : "FaceNet2", volume.Model);
        Assert.Equal(JobOf(model), volume.JobId);
        Assert.Equal(32, volume.Size);
        Assert.Equal(expected, volume.Bytes);
        Assert.Equal(JobOf(model).ToString(), json.Headers.GetValues("X-Heads-Job").Single());

        var raw = await Http.PostAsync(host.Client, url, Http.Raw(Http.TestFacePhoto, "image/jpeg"), accept: "application/octet-stream");
        Assert.Equal("application/octet-stream", raw.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, await raw.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));

        var csv = await Http.PostAsync(host.Client, url + "&format=csv", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var text = await csv.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.EndsWith("\n", text);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        Assert.Equal(expected, text.TrimEnd('\n').Split(',').Select(byte.Parse).ToArray());

        var ply = await Http.PostAsync(host.Client, url + "&format=ply&threshold=3", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal("application/x-ply", ply.Content.Headers.ContentType?.MediaType);
        var points = PlyReader.Read(await ply.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var (positions, colors) = VolumeExport.OccupiedPoints(new VoxelVolume(expected), 3);
        Assert.True(points.VertexCount > 100, $"only {points.VertexCount} occupied voxels");
        Assert.Equal(positions, points.Positions);
        Assert.Equal(colors, points.Colors);

        var mesh = await Http.PostAsync(host.Client, url, Http.Raw(Http.TestFacePhoto, "image/jpeg"), accept: "application/x-ply; kind=mesh");
        Assert.Equal("application/x-ply", mesh.Content.Headers.ContentType?.MediaType);
        var surface = PlyReader.Read(await mesh.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        var reference = MarchingCubes.Extract(new VoxelVolume(expected));
        Assert.True(surface.TriangleCount > 100);
        Assert.Equal(reference.TriangleCount, surface.TriangleCount);
        Assert.Equal(reference.Positions, surface.Positions);

        // The same surface as OBJ (by ?format=) and as binary glTF (by Accept).
        var obj = await Http.PostAsync(host.Client, url + "&format=obj", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal("model/obj", obj.Content.Headers.ContentType?.MediaType);
        var objLines = (await obj.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).Split('\n');
        Assert.Equal(reference.VertexCount, objLines.Count(l => l.StartsWith("v ", StringComparison.Ordinal)));
        Assert.Equal(reference.TriangleCount, objLines.Count(l => l.StartsWith("f ", StringComparison.Ordinal)));
        var glb = await Http.PostAsync(host.Client, url, Http.Raw(Http.TestFacePhoto, "image/jpeg"), accept: "model/gltf-binary");
        Assert.Equal("model/gltf-binary", glb.Content.Headers.ContentType?.MediaType);
        var (vertices, indices, mode) = GlbSummary(await glb.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal((reference.VertexCount, reference.TriangleCount * 3, 4), (vertices, indices, mode));
    }

    /// <summary>The vertex count, index count and primitive mode a GLB's JSON chunk declares.</summary>
    internal static (int Vertices, int Indices, int Mode) GlbSummary(byte[] glb)
    {
        Assert.Equal("glTF"u8.ToArray(), glb[..4]);
        var json = System.Text.Json.JsonDocument.Parse(glb.AsMemory(20, BitConverter.ToInt32(glb, 12))).RootElement;
        var primitive = json.GetProperty("meshes")[0].GetProperty("primitives")[0];
        var accessors = json.GetProperty("accessors");
        int vertices = accessors[primitive.GetProperty("attributes").GetProperty("POSITION").GetInt32()].GetProperty("count").GetInt32();
        int indices = primitive.TryGetProperty("indices", out var i) ? accessors[i.GetInt32()].GetProperty("count").GetInt32() : 0;
        return (vertices, indices, primitive.GetProperty("mode").GetInt32());
    }

    [Fact]
    public async Task The_test_face_gives_the_same_volume_as_multipart_raw_body_and_octet_stream()
    {
        var expected = Expected("facenet3");
        foreach (var content in new[]
                 {
                     Http.Multipart(Http.TestFacePhoto, "image/jpeg"),
                     Http.Multipart(Http.TestFacePhoto, null),
                     Http.Raw(Http.TestFacePhoto, "image/jpeg"),
                     Http.Raw(Http.TestFacePhoto, "application/octet-stream"),
                 })
        {
            var response = await Http.PostAsync(host.Client, "/api/v1/faces/predictions?format=raw", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public async Task The_default_model_is_the_newest_FaceNet_and_a_job_id_picks_a_model()
    {
        var byDefault = await Http.PostAsync(host.Client, "/api/v1/faces/predictions", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal(host.FaceNet3Job, (await Http.ReadAsync<VolumeJson>(byDefault)).JobId);
        var byJob = await Http.PostAsync(host.Client, $"/api/v1/faces/predictions?model={host.FaceNet2Job}", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        var volume = await Http.ReadAsync<VolumeJson>(byJob);
        Assert.Equal("FaceNet2", volume.Model);
        Assert.Equal(Expected("facenet2"), volume.Bytes);
    }

    [Fact]
    public async Task FaceNet2_serves_pruned_voxels_as_their_stored_constants_and_trained_voxels_from_their_networks()
    {
        var response = await Http.PostAsync(host.Client, "/api/v1/faces/predictions?model=facenet2&format=raw", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        var volume = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        var sphere = ModelJobs.Sphere(10);
        for (int v = 0; v < volume.Length; v++)
            if (v % 256 != 0) Assert.Equal(sphere[v], volume[v]);
        Assert.Equal(2, host.FaceNet2.Shards.Count);
        Assert.All(host.FaceNet2.Shards, s => Assert.Equal(64, s.TrainedVoxels.Count));
        // The trained voxels are network outputs, not constants: some differ from the pattern.
        Assert.Contains(Enumerable.Range(0, 128).Select(i => i * 256), v => volume[v] != sphere[v]);
    }

    [Fact]
    public async Task Many_parallel_predictions_equal_sequential_ones_and_share_forward_passes()
    {
        var ct = TestContext.Current.CancellationToken;
        // Real faces and noise: distinct inputs whose volumes differ, so a mixed-up row would show.
        using var reader = FaceTo3DFiles.OpenTrainX(SharedData.TrainX);
        var photos = new List<byte[]>();
        var record = new byte[1024];
        var noise = new Random(17);
        for (int i = 0; i < 6 && reader.TryRead(record); i++) photos.Add(Http.Png(record));
        for (int i = 0; i < 6; i++)
        {
            noise.NextBytes(record);
            photos.Add(Http.Png(record));
        }

        int largestBatch = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "heads.inference.batch.size") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => InterlockedMax(ref largestBatch, value));
        listener.Start();

        foreach (var model in new[] { "facenet3", "facenet2" })
        {
            var url = $"/api/v1/faces/predictions?model={model}&format=raw";
            var sequential = new List<byte[]>();
            foreach (var photo in photos)
                sequential.Add(await (await Http.PostAsync(host.Client, url, Http.Raw(photo, "image/png"))).Content.ReadAsByteArrayAsync(ct));
            Assert.True(sequential.Select(Convert.ToBase64String).Distinct().Count() >= 8, $"{model}: the faces give too few distinct volumes to tell rows apart.");

            var parallel = await Task.WhenAll(Enumerable.Range(0, photos.Count * 4).Select(async i =>
            {
                var response = await Http.PostAsync(host.Client, url, Http.Raw(photos[i % photos.Count], "image/png"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                return (i, Volume: await response.Content.ReadAsByteArrayAsync(ct));
            }));
            foreach (var (i, volume) in parallel) Assert.Equal(sequential[i % photos.Count], volume);
        }
        Assert.True(largestBatch > 1, "Concurrent requests never shared a forward pass.");
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    [Fact]
    public async Task Accept_headers_choose_the_format_and_format_wins_over_accept()
    {
        var content = () => Http.Raw(Http.TestFacePhoto, "image/jpeg");
        var csv = await Http.PostAsync(host.Client, "/api/v1/faces/predictions", content(), accept: "text/html;q=0.9, text/csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var ply = await Http.PostAsync(host.Client, "/api/v1/faces/predictions", content(), accept: "application/x-ply");
        Assert.StartsWith("ply\n", Encoding.ASCII.GetString(await ply.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken), 0, 4));
        Assert.DoesNotContain("element face", Encoding.ASCII.GetString(await ply.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Split("end_header")[0]);
        var json = await Http.PostAsync(host.Client, "/api/v1/faces/predictions?format=json", content(), accept: "text/csv");
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        var any = await Http.PostAsync(host.Client, "/api/v1/faces/predictions", content(), accept: "*/*");
        Assert.Equal("application/json", any.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Sample_faces_are_served_and_predict()
    {
        var ct = TestContext.Current.CancellationToken;
        var samples = await Http.ReadAsync<List<Apis.SampleInfo>>(await host.Client.GetAsync("/api/v1/samples", ct));
        Assert.Equal(["face-1", "face-2"], samples.Select(s => s.Name));
        var photo = await host.Client.GetAsync(samples[0].Url, ct);
        Assert.Equal("image/jpeg", photo.Content.Headers.ContentType?.MediaType);
        var bytes = await photo.Content.ReadAsByteArrayAsync(ct);
        Assert.Equal(1024, FaceImage.Load(bytes).Length);
        var prediction = await Http.PostAsync(host.Client, "/api/v1/faces/predictions", Http.Raw(bytes, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        await Http.ProblemAsync(await host.Client.GetAsync("/api/v1/samples/face-99.jpg", ct), 404);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_endpoints()
    {
        var document = await host.Client.GetStringAsync("/openapi/v1.json", TestContext.Current.CancellationToken);
        foreach (var path in new[] { "/api/v1/faces/predictions", "/api/v1/heads/random", "/api/v1/models", "/api/v1/models/reload", "/api/v1/samples" })
            Assert.Contains($"\"{path}\"", document);
        Assert.Contains("multipart/form-data", document);
        Assert.Contains("application/x-ply", document);
    }
}
