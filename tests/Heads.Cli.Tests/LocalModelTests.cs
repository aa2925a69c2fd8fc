using System.Globalization;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;
using Heads.Core.Inference;

namespace Heads.Cli.Tests;

/// <summary>predict and sample with --model-file: weights files and job folders as the trainer writes them, on the real test photograph.</summary>
public sealed class LocalModelTests(Workspace workspace)
{
    private readonly string folder = workspace.NewFolder();
    private static readonly byte[] TestFace = FaceImage.Load(SharedData.TestFace);

    [Fact]
    public async Task Predict_with_a_weights_file_gives_the_models_volume()
    {
        var expected = workspace.FaceNet3.PredictVolumes(TestFace);
        var run = await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--model-file", workspace.FaceNet3File, "-o", "head.csv");
        Assert.Contains("FaceNet3", run.Output);
        var values = (await File.ReadAllTextAsync(Path.Combine(folder, "head.csv"), TestContext.Current.CancellationToken)).Trim().Split(',');
        Assert.Equal(32768, values.Length);
        Assert.Equal(expected, values.Select(v => byte.Parse(v, CultureInfo.InvariantCulture)).ToArray());
    }

    [Fact]
    public async Task Gallery_draws_a_local_FaceNets_predictions_for_a_datasets_held_out_heads()
    {
        byte[][] faces = [TestFace, FaceImage.Load(workspace.HeadPhoto)];
        byte[][] volumes = [Workspace.Sphere(10), Workspace.Sphere(12)];
        var data = Directory.CreateDirectory(Path.Combine(folder, "data")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(data, "heldout_x.dat"), [.. faces.SelectMany(f => f)], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(data, "heldout_y.dat"), [.. volumes.SelectMany(v => v)], TestContext.Current.CancellationToken);

        var run = await HeadsTool.ExpectAsync(0, folder, "gallery", "--model", workspace.FaceNet3File, "--dataset", "data", "-o", "gallery.png", "--tile", "64");
        Assert.Contains("2 held-out heads", run.Output);
        // The same picture as the engine draws from the same predictions: the tool adds nothing of its own.
        var batch = workspace.FaceNet3.PredictVolumes([.. faces.SelectMany(f => f)]);
        var expected = faces.Select((face, i) =>
        {
            var predicted = batch.AsSpan(i * 32768, 32768).ToArray();
            var score = Heads.Core.Training.FaceNetEvaluation.Score(predicted, volumes[i]);
            return new Heads.Core.Rendering.GalleryHead(face, volumes[i], predicted,
                string.Create(CultureInfo.InvariantCulture, $"held-out {i + 1}: IoU {score.OccupancyIoU:F2}, MAE {score.GrayscaleMae:F1}"));
        }).ToList();
        Assert.Equal(Heads.Core.Rendering.ModelPictures.VolumeGallery(expected, 64), await File.ReadAllBytesAsync(Path.Combine(folder, "gallery.png"), TestContext.Current.CancellationToken));

        await HeadsTool.ExpectAsync(0, folder, "gallery", "--model", workspace.HeadsNetFile, "-o", "seeds.png", "-n", "2", "--tile", "64");
        using var seeds = SixLabors.ImageSharp.Image.Load(Path.Combine(folder, "seeds.png"));
        Assert.Equal(4 + 2 * (2 * 64 + 16), seeds.Width);

        Assert.Contains("--dataset", await HeadsTool.ExpectInputErrorAsync(folder, "gallery", "--model", workspace.FaceNet3File, "-o", "x.png"));
        Assert.Contains("heldout_x.dat", await HeadsTool.ExpectInputErrorAsync(folder, "gallery", "--model", workspace.FaceNet3File, "--dataset", ".", "-o", "x.png"));
    }

    [Fact]
    public async Task Predict_with_a_trainer_job_folder_checks_and_uses_its_weights()
    {
        var expected = workspace.TrainerJob.PredictVolumes(TestFace);
        var run = await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--model-file", workspace.TrainerJobFolder, "-o", "head.raw");
        Assert.Contains(Path.GetFileName(workspace.TrainerJobFolder), run.Output);
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(folder, "head.raw"), TestContext.Current.CancellationToken));

        // The same job with its weights changed by one byte: the manifest's SHA-256 catches it.
        var copy = Path.Combine(folder, "models", Path.GetFileName(workspace.TrainerJobFolder));
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(workspace.TrainerJobFolder)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        var weights = Directory.GetFiles(copy, "*.safetensors").Single();
        var bytes = await File.ReadAllBytesAsync(weights, TestContext.Current.CancellationToken);
        bytes[^5] ^= 0x40;
        await File.WriteAllBytesAsync(weights, bytes, TestContext.Current.CancellationToken);
        Assert.Contains("Checksum mismatch", await HeadsTool.ExpectInputErrorAsync(folder, "predict", SharedData.TestFace, "--model-file", copy, "-o", "bad.raw"));
        Assert.False(File.Exists(Path.Combine(folder, "bad.raw")));
    }

    [Fact]
    public async Task Predict_with_a_sharded_FaceNet2_job_assembles_every_shard()
    {
        var expected = workspace.FaceNet2.PredictVolumes(TestFace);
        await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--model-file", Path.Combine(workspace.FaceNet2JobFolder, "manifest.json"), "-o", "head.json");
        using var json = System.Text.Json.JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "head.json"), TestContext.Current.CancellationToken));
        Assert.Equal("FaceNet2", json.RootElement.GetProperty("model").GetString());
        Assert.Equal(expected, json.RootElement.GetProperty("data").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray());

        // One shard alone is not a model.
        var shard = Directory.GetFiles(Path.Combine(workspace.FaceNet2JobFolder, "shards"), "*.safetensors")[0];
        Assert.Contains("not a whole model", await HeadsTool.ExpectInputErrorAsync(folder, "predict", SharedData.TestFace, "--model-file", shard));
    }

    [Fact]
    public async Task Predict_writes_points_and_surfaces_as_ply()
    {
        var expected = workspace.FaceNet3.PredictVolumes(TestFace);
        await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--model-file", workspace.FaceNet3File, "-o", "points.ply", "--threshold", "100");
        Assert.Equal(expected.Count(v => v >= 100), PlyReader.Read(Path.Combine(folder, "points.ply")).VertexCount);
        await HeadsTool.ExpectAsync(0, folder, "predict", SharedData.TestFace, "--model-file", workspace.FaceNet3File, "-o", "mesh.ply", "--mesh");
        Assert.True(PlyReader.Read(Path.Combine(folder, "mesh.ply")).TriangleCount > 100);
    }

    [Fact]
    public async Task Sample_with_a_HeadsNet_file_gives_the_models_points()
    {
        var expected = HeadsNetSampler.Sample(workspace.HeadsNet, 0.25f, 5000);
        var run = await HeadsTool.ExpectAsync(0, folder, "sample", "--model-file", workspace.HeadsNetFile, "--seed", "0.25", "--points", "5000", "-o", "cloud.ply");
        Assert.Contains("5,000 points", run.Output);
        var cloud = PlyReader.Read(Path.Combine(folder, "cloud.ply"));
        Assert.Equal(5000, cloud.VertexCount);
        Assert.Equal(expected.Positions, cloud.Positions);
        Assert.Equal(expected.Colors, cloud.Colors);

        await HeadsTool.ExpectAsync(0, folder, "sample", "--model-file", workspace.HeadsNetFile, "--seed", "0.25", "--points", "300", "-o", "cloud.csv");
        var lines = await File.ReadAllLinesAsync(Path.Combine(folder, "cloud.csv"), TestContext.Current.CancellationToken);
        Assert.Equal(300, lines.Length);
        Assert.All(lines, l => Assert.Equal(6, l.Split(',').Length));
    }

    [Fact]
    public async Task Sample_in_bfloat16_gives_the_fast_path_points()
    {
        var expected = HeadsNetSampler.Sample(workspace.HeadsNet, 0.25f, 3000, precision: HeadsNetPrecision.BFloat16);
        await HeadsTool.ExpectAsync(0, folder, "sample", "--model-file", workspace.HeadsNetFile, "--seed", "0.25", "--points", "3000", "--precision", "bf16", "-o", "fast.ply");
        var cloud = PlyReader.Read(Path.Combine(folder, "fast.ply"));
        Assert.Equal(expected.Positions, cloud.Positions);
        Assert.NotEqual(HeadsNetSampler.Sample(workspace.HeadsNet, 0.25f, 3000).Positions, cloud.Positions);
        await HeadsTool.ExpectAsync(1, folder, "sample", "--model-file", workspace.HeadsNetFile, "--precision", "fp8");
    }

    [Fact]
    public async Task The_wrong_kind_of_model_or_input_is_an_input_error()
    {
        Assert.Contains("HeadsNet", await HeadsTool.ExpectInputErrorAsync(folder, "predict", SharedData.TestFace, "--model-file", workspace.HeadsNetFile));
        Assert.Contains("FaceNet3", await HeadsTool.ExpectInputErrorAsync(folder, "sample", "--model-file", workspace.FaceNet3File, "--points", "10"));
        Assert.Contains("image", await HeadsTool.ExpectInputErrorAsync(folder, "predict", workspace.HeadPly, "--model-file", workspace.FaceNet3File), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("no such", await HeadsTool.ExpectInputErrorAsync(folder, "predict", SharedData.TestFace, "--model-file", Path.Combine(folder, "nothing.safetensors")));
        Assert.Contains("--seed", await HeadsTool.ExpectInputErrorAsync(folder, "sample", "--model-file", workspace.HeadsNetFile, "--seed", "1.5"));
    }

    [Fact]
    public async Task Inspect_reads_models_and_job_manifests_without_loading_them()
    {
        var run = await HeadsTool.ExpectAsync(0, folder, "inspect", workspace.FaceNet3File);
        Assert.Matches(@"kind\s+FaceNet3", run.Output);
        Assert.Contains("1024 → 32 ×7 gelu → 32768", run.Output);
        Assert.Contains("test-dataset", run.Output);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(workspace.FaceNet3File, TestContext.Current.CancellationToken))), run.Output);

        run = await HeadsTool.ExpectAsync(0, folder, "inspect", workspace.TrainerJobFolder);
        Assert.Contains("FaceNet3", run.Output);
        Assert.Contains("2 epochs, first 0.05, last 0.02", run.Output);
        Assert.Contains("[verified]", run.Output);

        run = await HeadsTool.ExpectAsync(0, folder, "inspect", workspace.FaceNet2JobFolder);
        Assert.Contains("shards", run.Output);
        Assert.Equal(2, run.Output.Split("[present]").Length - 1);
    }
}
