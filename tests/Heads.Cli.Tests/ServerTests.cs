using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;
using Heads.Core.Inference;

namespace Heads.Cli.Tests;

/// <summary>predict, sample and models against the real inference service over HTTP; the same answers as the models give locally.</summary>
public sealed class ServerTests(InferenceServer server) : IClassFixture<InferenceServer>
{
    private readonly string folder = server.Workspace.NewFolder();

    [Fact]
    public async Task Predict_over_http_gives_the_served_models_volume()
    {
        var expected = server.Workspace.FaceNet3.PredictVolumes(FaceImage.Load(SharedData.TestFace));
        var run = await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--server", server.Url, "-o", "head.raw");
        Assert.Contains($"FaceNet3 job {server.FaceNet3Job}", run.Output);
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(folder, "head.raw"), TestContext.Current.CancellationToken));

        // The same volume whichever way it was computed: the local model file agrees with the service byte for byte.
        await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--model-file", server.Workspace.FaceNet3File, "-o", "local.raw");
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(folder, "local.raw"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Sample_over_http_gives_the_served_HeadsNet_points()
    {
        var expected = HeadsNetSampler.Sample(server.Workspace.HeadsNet, 0.25f, 2000);
        var run = await HeadsTool.ExpectAsync(0, folder, "sample", "--server", server.Url, "--seed", "0.25", "--points", "2000", "-o", "cloud.ply");
        Assert.Contains($"HeadsNet job {server.HeadsNetJob}", run.Output);
        var cloud = PlyReader.Read(Path.Combine(folder, "cloud.ply"));
        Assert.Equal(expected.Positions, cloud.Positions);
        Assert.Equal(expected.Colors, cloud.Colors);
    }

    [Fact]
    public async Task Models_lists_what_the_service_serves()
    {
        var run = await HeadsTool.ExpectAsync(0, folder, "models", "--server", server.Url);
        Assert.Contains(server.FaceNet3Job.ToString(), run.Output);
        Assert.Contains(server.HeadsNetJob.ToString(), run.Output);
    }

    [Fact]
    public async Task Models_gallery_writes_the_served_jobs_picture_and_a_missing_one_is_an_input_error()
    {
        var run = await HeadsTool.ExpectAsync(0, folder, "models", "gallery", server.FaceNet3Job.ToString(), "-o", "gallery.png", "--server", server.Url);
        Assert.Contains("wrote gallery.png", run.Output);
        Assert.Equal(server.FaceNet3Gallery, await File.ReadAllBytesAsync(Path.Combine(folder, "gallery.png"), TestContext.Current.CancellationToken));

        var missing = await HeadsTool.ExpectInputErrorAsync(folder, "models", "losses", server.FaceNet3Job.ToString(), "-o", "losses.png", "--server", server.Url);
        Assert.Contains("404", missing);
        Assert.Contains("losses.png", missing);
        Assert.False(File.Exists(Path.Combine(folder, "losses.png")));
        Assert.Contains("not a job id", await HeadsTool.ExpectInputErrorAsync(folder, "models", "gallery", "../x", "-o", "g.png", "--server", server.Url));
        Assert.Contains(".png", await HeadsTool.ExpectInputErrorAsync(folder, "models", "gallery", server.FaceNet3Job.ToString(), "-o", "g.jpg", "--server", server.Url));
    }

    [Fact]
    public async Task The_services_refusals_are_input_errors_with_its_reason()
    {
        Assert.Contains("503", await HeadsTool.ExpectInputErrorAsync(folder, "predict", SharedData.TestFace, "--server", server.Url, "--model", "facenet2"));
        Assert.Contains("404", await HeadsTool.ExpectInputErrorAsync(folder, "predict", SharedData.TestFace, "--server", server.Url, "--model", Guid.NewGuid().ToString()));
        await File.WriteAllTextAsync(Path.Combine(folder, "not-a-photo.jpg"), "plain text", TestContext.Current.CancellationToken);
        Assert.Contains("400", await HeadsTool.ExpectInputErrorAsync(folder, "predict", "not-a-photo.jpg", "--server", server.Url));
    }

    [Theory]
    [InlineData("predict", "FACE")]
    [InlineData("sample")]
    [InlineData("models")]
    [InlineData("scrape", "--count", "1")]
    [InlineData("scrape", "status")]
    [InlineData("dataset", "list")]
    [InlineData("dataset", "build", "--kind", "FaceNet")]
    [InlineData("train", "--model", "FaceNet3", "--latest")]
    [InlineData("train", "status")]
    public async Task A_closed_port_is_exit_3(params string[] args)
    {
        var url = $"http://127.0.0.1:{InferenceServer.FreePort()}";
        var full = args.Select(a => a == "FACE" ? SharedData.TestFace : a).Concat(["--server", url]).ToArray();
        var run = await HeadsTool.ExpectAsync(3, folder, full);
        Assert.Contains("cannot reach", run.Error);
        Assert.Contains(url, run.Error);
    }
}
