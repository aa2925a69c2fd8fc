using System.Security.Cryptography;
using System.Text;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Inference;
using Heads.Core.Models;
using Heads.Core.Synthetic;
using Heads.Core.Training.Jobs;
using static TorchSharp.torch;

[assembly: AssemblyFixture(typeof(Heads.Cli.Tests.Workspace))]

namespace Heads.Cli.Tests;

/// <summary>
/// Real files for the tool to work on, in a temporary folder: a generated head (mesh and photo), models saved in the
/// engine's file format (a FaceNet3 and a HeadsNet as weights files; a FaceNet3 job as the trainer lays it out; a
/// sharded, pruned FaceNet2 job), and a small FaceNet dataset with its manifest. The models stay in memory as the
/// expected side.
/// </summary>
public sealed class Workspace : IDisposable
{
    public const ulong HeadSeed = 3;

    public Workspace()
    {
        Folder = Directory.CreateTempSubdirectory("heads-cli-").FullName;
        Head = new HeadGenerator().Generate(HeadSeed);
        HeadPly = Path.Combine(Folder, "head.ply");
        PlyWriter.Write(HeadPly, Head);
        HeadPhoto = Path.Combine(Folder, "head.jpg");
        File.WriteAllBytes(HeadPhoto, HeadRenderer.RenderJpeg(Head, new RenderSettings { Supersampling = 2 }));

        FaceNet3 = NewFaceNet3(seed: 3, radius: 11);
        FaceNet3File = Path.Combine(Folder, "facenet3.safetensors");
        using (var s = File.Create(FaceNet3File)) FaceNet3.Save(s);
        HeadsNet = new HeadsNetModel(new DenseNetwork(DenseArchitecture.HeadsNet, 5), new ModelManifest { Kind = ModelKind.HeadsNet, Architecture = DenseArchitecture.HeadsNet, DatasetId = "test-dataset" });
        HeadsNetFile = Path.Combine(Folder, "headsnet.safetensors");
        using (var s = File.Create(HeadsNetFile)) HeadsNet.Save(s);

        TrainerJob = NewFaceNet3(seed: 7, radius: 8);
        TrainerJobFolder = WriteTrainerJob(Path.Combine(Folder, "models"), Guid.NewGuid(), TrainerJob);
        FaceNet2 = NewFaceNet2(shards: 2, trainedEvery: 512, seed: 2);
        FaceNet2JobFolder = WriteShardedJob(Path.Combine(Folder, "models"), Guid.NewGuid(), FaceNet2);

        DatasetManifest = WriteDataset(Path.Combine(Folder, "dataset"));
    }

    public string Folder { get; }
    public HeadMesh Head { get; }
    public string HeadPly { get; }
    public string HeadPhoto { get; }
    public FaceNetModel FaceNet3 { get; }
    public string FaceNet3File { get; }
    public HeadsNetModel HeadsNet { get; }
    public string HeadsNetFile { get; }
    public FaceNetModel TrainerJob { get; }
    public string TrainerJobFolder { get; }
    public FaceNet2Model FaceNet2 { get; }
    public string FaceNet2JobFolder { get; }
    public string DatasetManifest { get; }

    /// <summary>A fresh folder for one test's outputs.</summary>
    public string NewFolder() => Directory.CreateDirectory(Path.Combine(Folder, "run-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    /// <summary>A FaceNet3 with random weights whose output bias is a ball of <paramref name="radius"/> voxels, so its volumes look like a head-sized blob.</summary>
    public static FaceNetModel NewFaceNet3(int seed, double radius)
    {
        var network = new DenseNetwork(DenseArchitecture.FaceNet3, seed);
        using (no_grad())
        using (var bias = tensor(Sphere(radius).Select(v => v / 255f).ToArray()))
            network.Bias(DenseArchitecture.FaceNet3.HiddenLayers).copy_(bias);
        return new FaceNetModel(network, new ModelManifest { Kind = ModelKind.FaceNet3, Architecture = DenseArchitecture.FaceNet3, DatasetId = "test-dataset", TrainingSamples = 90 });
    }

    public static byte[] Sphere(double radius, byte inside = 200)
    {
        var volume = new byte[32768];
        for (int z = 0, i = 0; z < 32; z++)
        for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++, i++)
        {
            double dx = x - 15.5, dy = y - 15.5, dz = z - 15.5;
            volume[i] = dx * dx + dy * dy + dz * dz <= radius * radius ? inside : (byte)0;
        }
        return volume;
    }

    /// <summary>A FaceNet2 whose every <paramref name="trainedEvery"/>-th voxel has a network and the rest were pruned to a ball.</summary>
    public static FaceNet2Model NewFaceNet2(int shards, int trainedEvery, int seed)
    {
        var constants = Sphere(10);
        var model = new FaceNet2Model();
        int per = 32768 / shards;
        for (int s = 0; s < shards; s++)
        {
            int first = s * per, count = s == shards - 1 ? 32768 - first : per;
            var voxels = Enumerable.Range(first, count).ToArray();
            var trained = voxels.Where(v => v % trainedEvery == 0).ToArray();
            var constant = voxels.Where(v => v % trainedEvery != 0).ToArray();
            var manifest = new ModelManifest
            {
                Kind = ModelKind.FaceNet2Shard,
                Architecture = DenseArchitecture.FaceNet2Voxel,
                DatasetId = "test-dataset",
                Voxels = new VoxelRange(first, count, trained.Length, constant.Length),
            };
            model.Add(new VoxelShard(manifest, trained, constant, constant.Select(v => constants[v]).ToArray(), new VoxelEnsemble(DenseArchitecture.FaceNet2Voxel, trained, seed)));
        }
        return model;
    }

    /// <summary>{container}/{job}/manifest.json + model-a1.safetensors, exactly the trainer's <see cref="TrainingJobManifest"/>.</summary>
    private static string WriteTrainerJob(string container, Guid jobId, FaceNetModel model)
    {
        var folder = Directory.CreateDirectory(Path.Combine(container, jobId.ToString("D"))).FullName;
        var weightsBlob = TrainingJobLayout.WeightsBlob(jobId, "a1");
        ModelManifest saved;
        using (var s = File.Create(Path.Combine(container, weightsBlob))) saved = model.Save(s);
        var manifest = new TrainingJobManifest
        {
            JobId = jobId,
            Model = TrainingModel.FaceNet3,
            DatasetId = "test-dataset",
            Architecture = DenseArchitecture.FaceNet3,
            TrainingSamples = 90,
            EpochLosses = [0.05, 0.02],
            WeightsBlob = weightsBlob,
            Weights = saved,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        File.WriteAllBytes(Path.Combine(container, TrainingJobLayout.ManifestBlob(jobId)), manifest.ToJson());
        return folder;
    }

    /// <summary>{container}/{job}/manifest.json + shards/*.safetensors and .json, as <see cref="ModelJobLayout"/> describes.</summary>
    private static string WriteShardedJob(string container, Guid jobId, FaceNet2Model model)
    {
        var folder = Directory.CreateDirectory(Path.Combine(container, jobId.ToString("D"), "shards")).Parent!.FullName;
        foreach (var shard in model.Shards)
        {
            ModelManifest saved;
            using (var s = File.Create(Path.Combine(container, ModelJobLayout.ShardWeightsBlob(jobId, shard.FirstVoxel, shard.VoxelCount)))) saved = shard.Save(s);
            File.WriteAllText(Path.Combine(container, ModelJobLayout.ShardManifestBlob(jobId, shard.FirstVoxel, shard.VoxelCount)), saved.ToJson());
        }
        var manifest = ModelJobLayout.ShardedManifest(jobId, "test-dataset", DateTimeOffset.UtcNow, model.Shards.Select(s => (s.FirstVoxel, s.VoxelCount)));
        File.WriteAllText(Path.Combine(container, ModelJobLayout.ManifestBlob(jobId)), manifest.ToJsonString());
        return folder;
    }

    /// <summary>A FaceNet dataset of 3 train and 1 held-out heads with the dataset service's manifest (file sizes and SHA-256).</summary>
    private static string WriteDataset(string folder)
    {
        Directory.CreateDirectory(folder);
        var files = new List<DatasetFileEntry>();
        foreach (var spec in DatasetLayout.Files(DatasetKind.FaceNet))
        {
            int rows = spec.Partition == DatasetPartition.Train ? 3 : 1;
            var bytes = new byte[rows * spec.RowBytes];
            new Random(spec.Name.Length).NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(folder, spec.Name), bytes);
            files.Add(new DatasetFileEntry
            {
                Name = spec.Name, Partition = spec.Partition, Role = spec.IsInput ? DatasetFileRole.Inputs : DatasetFileRole.Targets,
                RowBytes = spec.RowBytes, Rows = rows, Bytes = bytes.Length, Sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            });
        }
        var manifest = new DatasetManifest
        {
            DatasetId = "cli-test", Kind = DatasetKind.FaceNet, Origin = DatasetOrigin.Heads, GeneratorVersion = DatasetLayout.GeneratorVersion,
            CreatedAt = DateTimeOffset.UtcNow, HeldOutFraction = 0.25, HeadIds = ["syn-1", "syn-2", "syn-3", "syn-4"],
            TrainHeadIds = ["syn-1", "syn-2", "syn-3"], HeldOutHeadIds = ["syn-4"], TrainRows = 3, HeldOutRows = 1, Files = files,
        };
        manifest.Validate();
        var path = Path.Combine(folder, "manifest.json");
        File.WriteAllBytes(path, manifest.ToJson());
        return path;
    }

    public void Dispose()
    {
        FaceNet3.Dispose();
        HeadsNet.Dispose();
        TrainerJob.Dispose();
        FaceNet2.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A process still holding a file: the temporary folder is cleaned by the system later.
        }
    }
}
