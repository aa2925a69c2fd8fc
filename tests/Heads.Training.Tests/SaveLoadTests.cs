using System.Text;
using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class SaveLoadTests
{
    private static readonly FaceNetTrainingSet Set = Synthetic.FaceNetSet(samples: 10, learnable: 12);

    private static (byte[] Weights, ModelManifest Manifest) Save(Func<Stream, ModelManifest> save)
    {
        using var weights = new MemoryStream();
        var manifest = save(weights);
        return (weights.ToArray(), manifest);
    }

    private static ModelManifest ThroughJson(ModelManifest manifest)
    {
        using var json = new MemoryStream();
        manifest.Write(json);
        json.Position = 0;
        return ModelManifest.Read(json);
    }

    [Fact]
    public void AShardRoundTripsWithIdenticalPredictions()
    {
        using var shard = VoxelShardTrainer.Train(Set, 4, 12, Synthetic.TinyFaceNet2(epochs: 2));
        var (weights, manifest) = Save(shard.Save);
        Assert.Equal(64, manifest.WeightsSha256.Length);
        Assert.Equal(weights.Length, manifest.WeightsBytes);
        var reread = ThroughJson(manifest);
        Assert.Equal(manifest.Voxels, reread.Voxels);
        Assert.Equal(manifest.EpochLosses, reread.EpochLosses);
        Assert.Equal(2, reread.HyperParameters!["epochs"]!.GetValue<int>());

        using var loaded = VoxelShard.Load(new MemoryStream(weights), reread);
        Assert.Equal(shard.TrainedVoxels, loaded.TrainedVoxels);
        Assert.Equal(shard.ConstantVoxels, loaded.ConstantVoxels);
        using var scope = NewDisposeScope();
        var x = VolumePostProcessing.Scale(Set.Faces, 1024);
        Assert.True(shard.Forward(x).eq(loaded.Forward(x)).all().item<bool>());
        Assert.Equal(shard.Predict(Set.Faces), loaded.Predict(Set.Faces));

        // The weights alone are enough for inference (the manifest is embedded, unchecked).
        using var bare = VoxelShard.Load(new MemoryStream(weights));
        Assert.Equal(shard.Predict(Set.Faces), bare.Predict(Set.Faces));
    }

    [Fact]
    public void FaceNetAndHeadsNetRoundTrip()
    {
        var options = FaceNetOptions.FaceNet1 with { Architecture = DenseArchitecture.FaceNet1 with { HiddenLayers = 1, Units = 4 }, Epochs = 1 };
        using var faceNet = FaceNetTrainer.Train(Set, options);
        var (weights, manifest) = Save(faceNet.Save);
        using var loadedFaceNet = FaceNetModel.Load(new MemoryStream(weights), ThroughJson(manifest));
        Assert.Equal(ModelKind.FaceNet1, loadedFaceNet.Manifest.Kind);
        Assert.Equal(faceNet.PredictVolumes(Set.Faces), loadedFaceNet.PredictVolumes(Set.Faces));

        using var headsNet = HeadsNetTrainer.Train(HeadsNetTests.Sphere(seed: 0.25f, points: 64), HeadsNetTests.Tiny(epochs: 1));
        var (headWeights, headManifest) = Save(headsNet.Save);
        using var loadedHeadsNet = HeadsNetModel.Load(new MemoryStream(headWeights), ThroughJson(headManifest));
        var a = headsNet.Sample(0.25f, 500);
        var b = loadedHeadsNet.Sample(0.25f, 500);
        Assert.Equal(a.Positions, b.Positions);
        Assert.Equal(a.Colors, b.Colors);
    }

    [Fact]
    public void LoadingTheWrongKindFailsClearly()
    {
        using var headsNet = HeadsNetTrainer.Train(HeadsNetTests.Sphere(0.5f, 16), HeadsNetTests.Tiny(epochs: 1));
        var (weights, manifest) = Save(headsNet.Save);
        var withManifest = Assert.Throws<ModelFormatException>(() => FaceNetModel.Load(new MemoryStream(weights), manifest));
        Assert.Contains("FaceNet1 or FaceNet3", withManifest.Message);
        Assert.Contains("HeadsNet", withManifest.Message);
        var bare = Assert.Throws<ModelFormatException>(() => VoxelShard.Load(new MemoryStream(weights)));
        Assert.Contains("FaceNet2Shard", bare.Message);
    }

    [Fact]
    public void AManifestForAnotherArchitectureIsRejected()
    {
        using var headsNet = HeadsNetTrainer.Train(HeadsNetTests.Sphere(0.5f, 16), HeadsNetTests.Tiny(epochs: 1));
        var (weights, manifest) = Save(headsNet.Save);
        var other = manifest with { Architecture = DenseArchitecture.HeadsNet };
        var e = Assert.Throws<ModelFormatException>(() => HeadsNetModel.Load(new MemoryStream(weights), other));
        Assert.Contains("does not describe", e.Message);
    }

    [Fact]
    public void ATensorOfTheWrongShapeIsRejected()
    {
        var architecture = HeadsNetTests.Tiny().Architecture;
        var manifest = new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = architecture };
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        for (int l = 0; l < architecture.LayerCount; l++)
        {
            int outputs = l == 0 ? architecture.LayerOutputs(l) + 1 : architecture.LayerOutputs(l);
            tensors.Add(($"layers.{l}.weight", zeros(outputs, architecture.LayerInputs(l))));
            tensors.Add(($"layers.{l}.bias", zeros(architecture.LayerOutputs(l))));
        }
        var (weights, _) = Save(s => ModelFile.Save(s, manifest, tensors));
        var e = Assert.Throws<ModelFormatException>(() => HeadsNetModel.Load(new MemoryStream(weights)));
        Assert.Contains("'layers.0.weight' has shape [33, 2]", e.Message);
        Assert.Contains("needs [32, 2]", e.Message);
    }

    [Fact]
    public void ACorruptWeightsFileFailsTheChecksum()
    {
        using var shard = VoxelShardTrainer.Train(Set, 0, 8, Synthetic.TinyFaceNet2(epochs: 1));
        var (weights, manifest) = Save(shard.Save);
        weights[^100] ^= 0x40;
        var e = Assert.Throws<ModelFormatException>(() => VoxelShard.Load(new MemoryStream(weights), manifest));
        Assert.Contains("Checksum mismatch", e.Message);
        Assert.Contains(manifest.WeightsSha256, e.Message);
    }

    [Fact]
    public void TruncatedAndForeignFilesFailClearly()
    {
        using var shard = VoxelShardTrainer.Train(Set, 0, 8, Synthetic.TinyFaceNet2(epochs: 1));
        var (weights, manifest) = Save(shard.Save);
        var truncated = Assert.Throws<ModelFormatException>(() => VoxelShard.Load(new MemoryStream(weights[..(weights.Length / 2)]), manifest));
        Assert.Contains("truncated", truncated.Message);
        var foreign = Assert.Throws<ModelFormatException>(() => VoxelShard.Load(new MemoryStream(Encoding.ASCII.GetBytes("PK\u0003\u0004 this is a zip file, not weights"))));
        Assert.Contains("Not a safetensors file", foreign.Message);
        var badJson = Assert.Throws<ModelFormatException>(() => ModelManifest.FromJson("{ \"kind\": "));
        Assert.Contains("not valid JSON", badJson.Message);
    }

    [Fact]
    public void TheWeightsAreStandardSafetensors()
    {
        using var shard = VoxelShardTrainer.Train(Set, 0, 8, Synthetic.TinyFaceNet2(epochs: 1));
        var (weights, _) = Save(shard.Save);
        long headerLength = BitConverter.ToInt64(weights, 0);
        Assert.Equal(0, (8 + headerLength) % 8);
        var header = System.Text.Json.Nodes.JsonNode.Parse(Encoding.UTF8.GetString(weights, 8, (int)headerLength))!.AsObject();
        var first = header["layers.0.weight"]!;
        Assert.Equal("F32", first["dtype"]!.GetValue<string>());
        Assert.Equal(new long[] { 8, 4, 1024 }, first["shape"]!.AsArray().Select(n => n!.GetValue<long>()));
        long end = header.Where(kv => kv.Key != "__metadata__").Max(kv => kv.Value!["data_offsets"]![1]!.GetValue<long>());
        Assert.Equal(weights.Length, 8 + headerLength + end);
        Assert.Equal("pt", header["__metadata__"]!["format"]!.GetValue<string>());
    }
}
