using Heads.Core.Inference;
using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

/// <summary>
/// Heads models in PyTorch: Debian's python3-torch loads FaceNet3, FaceNetPca (the default face model) and a
/// SphereFourier HeadsNet from the .safetensors files Heads writes, with the numpy reader of
/// <c>docs/pytorch/heads_torch.py</c> (python3-safetensors is not in Debian 12), and reproduces Heads' predictions.
/// Skipped, with the reason, only where /usr/bin/python3 has no torch; the test prerequisites install it.
/// </summary>
public sealed class PyTorchRoundTripTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "heads-torch-" + Guid.NewGuid().ToString("N"));

    public PyTorchRoundTripTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void PyTorch_reproduces_FaceNet3_FaceNetPca_and_HeadsNet_from_their_safetensors_files()
    {
        if (!File.Exists(Python)) Assert.Skip($"{Python} not found");
        var probe = Run("-c \"import torch, numpy\"");
        if (probe.ExitCode != 0) Assert.Skip("python3-torch is not installed (apt-get install -y python3-torch): " + probe.Error.Trim());

        var rng = new Random(3);
        var faces = new byte[4 * 1024];
        rng.NextBytes(faces);
        File.WriteAllBytes(Path.Combine(_folder, "faces.u8"), faces);

        using var faceNet3 = new FaceNetModel(new DenseNetwork(DenseArchitecture.FaceNet3, 11),
            new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3, DatasetId = "torch" });
        Save(faceNet3.Save, "facenet3");
        var faceNet3Expected = Floats(() => faceNet3.Network.forward(VolumePostProcessing.Scale(faces, 1024)));

        using var pca = PcaModel(rng);
        Save(pca.Save, "facenetpca");
        var pcaExpected = Floats(() => pca.Decode(VolumePostProcessing.Scale(faces, 1024)));

        var encoding = HeadsNetEncoding.SphereFourier;
        var headsArchitecture = DenseArchitecture.HeadsNet with { Inputs = encoding.Width };
        using var headsNet = new HeadsNetModel(new DenseNetwork(headsArchitecture, 13),
            new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = headsArchitecture, Encoding = encoding, DatasetId = "torch" });
        Save(headsNet.Save, "headsnet");
        const float seed = 0.3141f;
        const int count = 5000;
        var cloud = HeadsNetSampler.Sample(headsNet, seed, count);
        File.WriteAllText(Path.Combine(_folder, "headsnet.json"), $"{{\"seed\": {seed.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, \"count\": {count}}}");

        var script = Path.Combine(RealInfrastructure.RepositoryRoot(), "docs", "pytorch", "heads_torch.py");
        var run = Run($"\"{script}\" \"{_folder}\"");
        Assert.True(run.ExitCode == 0, "heads_torch.py failed: " + run.Error + run.Output);

        AssertClose(faceNet3Expected, ReadFloats("facenet3.torch.f32"), "FaceNet3");
        AssertClose(pcaExpected, ReadFloats("facenetpca.torch.f32"), "FaceNetPca");
        AssertClose(cloud.Positions, ReadFloats("headsnet.positions.torch.f32"), "HeadsNet positions");
        var colors = File.ReadAllBytes(Path.Combine(_folder, "headsnet.colors.torch.u8"));
        Assert.Equal(cloud.Colors.Length, colors.Length);
        // Colours are rounded from floats that agree to 1e-5: only a value on a rounding boundary may differ, by one.
        int differing = 0;
        for (int i = 0; i < colors.Length; i++)
        {
            Assert.InRange(Math.Abs(colors[i] - cloud.Colors[i]), 0, 1);
            if (colors[i] != cloud.Colors[i]) differing++;
        }
        Assert.True(differing <= colors.Length / 1000, $"{differing} of {colors.Length} colour values differ");
    }

    /// <summary>A FaceNetPca of the default shape with random weights, basis, mean and input standardisation.</summary>
    private static FaceNetPcaModel PcaModel(Random rng)
    {
        const int components = 48;
        var architecture = new DenseArchitecture(1024, 1, 256, components, Activation.Relu);
        float[] Random(int n, float scale) => Enumerable.Range(0, n).Select(_ => (rng.NextSingle() - 0.5f) * scale).ToArray();
        return new FaceNetPcaModel(new DenseNetwork(architecture, 17),
            tensor(Random(components * 32768, 0.1f), [components, 32768]), tensor(Random(32768, 1f), [32768]),
            tensor(Random(1024, 0.2f), [1024]), tensor(Random(1024, 4f), [1024]),
            new ModelManifest { Kind = ModelKind.FaceNetPca, Architecture = architecture, DatasetId = "torch" });
    }

    private void Save(Func<Stream, ModelManifest> save, string name)
    {
        using var file = File.Create(Path.Combine(_folder, name + ".safetensors"));
        save(file);
    }

    private static float[] Floats(Func<Tensor> compute)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return compute().contiguous().data<float>().ToArray();
    }

    private float[] ReadFloats(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(_folder, name));
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst <= 1e-5, $"{what}: PyTorch differs from Heads by up to {worst:G3}");
    }

    private static (int ExitCode, string Output, string Error) Run(string arguments) => ExternalProgram.Run(Python, arguments, TimeSpan.FromMinutes(5));
}
