using System.Globalization;
using System.Net;
using Heads.Core.Geometry.Ply;
using Heads.Core.Inference;
using Heads.Core.Models;
using TorchSharp;

namespace Inference.Service.Tests;

/// <summary>GET /api/v1/heads/random against a stored HeadsNet.</summary>
public sealed partial class ServingTests
{
    [Fact]
    public async Task A_random_head_is_a_binary_PLY_with_the_requested_points_as_the_engine_samples_them()
    {
        var response = await host.Client.GetAsync("/api/v1/heads/random?seed=0.25&points=20000", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ply", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(host.HeadsNetJob.ToString(), response.Headers.GetValues("X-Heads-Job").Single());
        var bytes = await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        Assert.Contains("format binary_little_endian 1.0", System.Text.Encoding.ASCII.GetString(bytes, 0, 200));
        var ply = PlyReader.Read(new MemoryStream(bytes));
        Assert.Equal(20000, ply.VertexCount);
        Assert.Equal(0, ply.TriangleCount);
        Assert.NotNull(ply.Colors);

        var expected = host.HeadsNet.Sample(0.25f, 20000);
        for (int i = 0; i < expected.Positions.Length; i++) Assert.Equal(expected.Positions[i], ply.Positions[i], 1e-5f);
        for (int i = 0; i < expected.Colors.Length; i++) Assert.InRange(ply.Colors![i] - expected.Colors[i], -1, 1);
    }

    [Fact]
    public async Task A_bfloat16_head_is_close_to_the_float32_head_and_says_its_precision()
    {
        var ct = TestContext.Current.CancellationToken;
        var exact = await host.Client.GetAsync("/api/v1/heads/random?seed=0.4&points=20000", ct);
        Assert.Equal("fp32", exact.Headers.GetValues("X-Heads-Precision").Single());
        var fast = await host.Client.GetAsync("/api/v1/heads/random?seed=0.4&points=20000&precision=bf16", ct);
        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
        Assert.Equal("bf16", fast.Headers.GetValues("X-Heads-Precision").Single());
        var e = PlyReader.Read(new MemoryStream(await exact.Content.ReadAsByteArrayAsync(ct)));
        var f = PlyReader.Read(new MemoryStream(await fast.Content.ReadAsByteArrayAsync(ct)));
        Assert.Equal(e.VertexCount, f.VertexCount);
        Assert.Equal(HeadsNetSampler.Sample(host.HeadsNet, 0.4f, 20000, precision: HeadsNetPrecision.BFloat16).Positions, f.Positions);

        // Close to the exact head (within a few thousandths of its size on average) but really computed differently.
        float extent = e.Positions.Max() - e.Positions.Min();
        double mean = e.Positions.Zip(f.Positions, (a, b) => (double)Math.Abs(a - b)).Average();
        Assert.InRange(mean / extent, 1e-7, 5e-3);
        Assert.True(e.Colors!.Zip(f.Colors!, (a, b) => Math.Abs(a - b)).Max() <= 8);
    }

    [Fact]
    public void Sampling_into_larger_pooled_buffers_gives_the_same_head_and_too_small_ones_are_refused()
    {
        var expected = HeadsNetSampler.Sample(host.HeadsNet, 0.3f, 3000);
        var positions = Enumerable.Repeat(float.NaN, 9000 + 7).ToArray();
        var colors = Enumerable.Repeat((byte)77, 9000 + 7).ToArray();
        HeadsNetSampler.Sample(host.HeadsNet, 0.3f, 3000, positions, colors);
        Assert.Equal(expected.Positions, positions[..9000]);
        Assert.Equal(expected.Colors, colors[..9000]);
        Assert.All(positions[9000..], p => Assert.True(float.IsNaN(p))); // nothing written past the head
        Assert.Throws<ArgumentException>(() => HeadsNetSampler.Sample(host.HeadsNet, 0.3f, 3000, new float[8999], new byte[9000]));
    }

    [Fact]
    public void Blocked_sampling_equals_one_pass_sampling()
    {
        // The original's sampling: all rows through the network at once.
        float[] wholePositions;
        byte[] wholeColors;
        using (var scope = torch.NewDisposeScope())
        using (var noGrad = torch.no_grad())
        {
            var index = torch.arange(5000, torch.ScalarType.Float32).div_(5000);
            var output = host.HeadsNet.Network.forward(torch.stack([torch.full(5000, 0.6f, torch.ScalarType.Float32), index], 1));
            wholePositions = output.narrow(1, 0, 3).contiguous().data<float>().ToArray();
            wholeColors = output.narrow(1, 3, 3).mul(255).round_().clamp_(0, 255).to(torch.ScalarType.Byte).contiguous().data<byte>().ToArray();
        }
        var whole = new HeadPointCloud(wholePositions, wholeColors);
        var blocked = HeadsNetSampler.Sample(host.HeadsNet, 0.6f, 5000, blockRows: 777);
        Assert.Equal(whole.Count, blocked.Count);
        for (int i = 0; i < whole.Positions.Length; i++) Assert.Equal(whole.Positions[i], blocked.Positions[i], 1e-5f);
        for (int i = 0; i < whole.Colors.Length; i++) Assert.InRange(whole.Colors[i] - blocked.Colors[i], -1, 1);
    }

    [Fact]
    public async Task A_head_as_GLB_is_a_point_primitive_with_one_vertex_per_point()
    {
        var response = await host.Client.GetAsync("/api/v1/heads/random?points=300&seed=0.25&format=glb", TestContext.Current.CancellationToken);
        Assert.Equal("model/gltf-binary", response.Content.Headers.ContentType?.MediaType);
        var (vertices, indices, mode) = GlbSummary(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal((300, 0, 0), (vertices, indices, mode));
    }

    [Fact]
    public async Task A_head_as_CSV_has_one_xyzrgb_line_per_point_and_a_random_seed_is_reported()
    {
        var response = await host.Client.GetAsync("/api/v1/heads/random?points=300&format=csv", TestContext.Current.CancellationToken);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var seed = float.Parse(response.Headers.GetValues("X-Heads-Seed").Single(), CultureInfo.InvariantCulture);
        Assert.InRange(seed, 0f, 1f);
        var lines = (await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).TrimEnd('\n').Split('\n');
        Assert.Equal(300, lines.Length);
        var expected = host.HeadsNet.Sample(seed, 300);
        for (int i = 0; i < lines.Length; i++)
        {
            var fields = lines[i].Split(',');
            Assert.Equal(6, fields.Length);
            Assert.Equal(expected.Positions[i * 3], float.Parse(fields[0], CultureInfo.InvariantCulture), 1e-5f);
            Assert.InRange(int.Parse(fields[5], CultureInfo.InvariantCulture), 0, 255);
        }
        var byAccept = new HttpRequestMessage(HttpMethod.Get, "/api/v1/heads/random?points=10");
        byAccept.Headers.TryAddWithoutValidation("Accept", "text/csv");
        Assert.Equal("text/csv", (await host.Client.SendAsync(byAccept, TestContext.Current.CancellationToken)).Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("points=0", 400, "Invalid point count")]
    [InlineData("points=1000001", 400, "Invalid point count")]
    [InlineData("seed=1.5", 400, "Invalid seed")]
    [InlineData("seed=-0.1", 400, "Invalid seed")]
    [InlineData("format=obj", 400, "Unknown format")]
    [InlineData("precision=fp16", 400, "Unknown precision")]
    [InlineData("model=facenet3", 400, "Not a HeadsNet model")]
    [InlineData("model=00000000-0000-0000-0000-000000000001", 404, "Unknown model")]
    public async Task Bad_head_requests_get_problem_details(string query, int status, string title)
    {
        var problem = await Http.ProblemAsync(await host.Client.GetAsync($"/api/v1/heads/random?{query}", TestContext.Current.CancellationToken), status);
        Assert.Equal(title, problem.Title);
    }
}
