using System.Security.Cryptography;
using System.Text;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Heads.Core.Geometry.Ply;

namespace Dataset.Service.Tests;

/// <summary>The domain side of a build, without storage: staged blocks, commit, checksums, split, manifest checks.</summary>
public sealed class DatasetAssemblerTests
{
    private sealed class MemorySink : IBlockSink
    {
        public SortedDictionary<int, byte[]> Staged { get; } = [];
        public byte[]? Committed { get; private set; }
        public string? Sha256 { get; private set; }

        public Task StageBlockAsync(int index, ReadOnlyMemory<byte> block, CancellationToken cancellationToken)
        {
            Staged[index] = block.ToArray();
            return Task.CompletedTask;
        }

        public Task CommitAsync(int blockCount, string sha256, CancellationToken cancellationToken)
        {
            Assert.Equal(Enumerable.Range(0, blockCount), Staged.Keys);
            Committed = Staged.Values.SelectMany(b => b).ToArray();
            Sha256 = sha256;
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Files_stay_uncommitted_until_complete_and_then_hold_exactly_the_rows_in_order()
    {
        var sinks = new Dictionary<string, MemorySink>();
        await using var assembler = new DatasetAssembler(DatasetKind.FaceNet, 0.3, spec => sinks[spec.Name] = new MemorySink(), blockSize: 5000);
        var ids = Enumerable.Range(0, 20).Select(i => $"unit-{i}").ToList();
        var expected = new Dictionary<string, MemoryStream> { ["train_x.dat"] = new(), ["train_y.dat"] = new(), ["heldout_x.dat"] = new(), ["heldout_y.dat"] = new() };
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var face = Enumerable.Repeat((byte)i, 1024).ToArray();
            var volume = Enumerable.Repeat((byte)(i + 100), 32768).ToArray();
            await assembler.AddFaceNetHeadAsync(id, face, volume, CancellationToken.None);
            var part = HeldOutSplit.IsHeldOut(id, 0.3) ? "heldout" : "train";
            expected[$"{part}_x.dat"].Write(face);
            expected[$"{part}_y.dat"].Write(volume);
        }
        Assert.All(sinks.Values, s => Assert.Null(s.Committed));
        Assert.True(sinks["train_y.dat"].Staged.Count > 10, "volumes should span many 5000-byte blocks");

        var manifest = await assembler.CompleteAsync("unit-set", DatasetOrigin.Heads, DateTimeOffset.UnixEpoch, CancellationToken.None);
        foreach (var file in manifest.Files)
        {
            var bytes = expected[file.Name].ToArray();
            Assert.Equal(bytes, sinks[file.Name].Committed);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Sha256);
            Assert.Equal(file.Sha256, sinks[file.Name].Sha256);
            Assert.Equal(bytes.LongLength, file.Bytes);
        }
        Assert.Equal(ids, manifest.HeadIds);
        Assert.Equal(ids.Where(id => HeldOutSplit.IsHeldOut(id, 0.3)), manifest.HeldOutHeadIds);
        Assert.Equal(manifest.TrainHeadIds.Count, manifest.TrainRows);

        var reread = DatasetManifest.Parse(manifest.ToJson());
        Assert.Equal(manifest.Files, reread.Files);
        Assert.Equal(manifest.HeadIds, reread.HeadIds);
    }

    [Fact]
    public async Task HeadsNet_rows_are_split_into_two_input_and_six_target_floats()
    {
        var sinks = new Dictionary<string, MemorySink>();
        await using var assembler = new DatasetAssembler(DatasetKind.HeadsNet, 0, spec => sinks[spec.Name] = new MemorySink(), blockSize: 100);
        var rows = Enumerable.Range(0, 3 * 8).Select(i => (float)i).ToArray();
        Assert.Equal(3, await assembler.AddHeadsNetHeadAsync("unit-rows", HeadSampler.LittleEndianBytes(rows), CancellationToken.None));
        var manifest = await assembler.CompleteAsync("unit-hn", DatasetOrigin.Heads, DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.Equal(3, manifest.TrainRows);
        Assert.Equal(HeadSampler.LittleEndianBytes([0, 1, 8, 9, 16, 17]), sinks["train_x.f32"].Committed);
        Assert.Equal(HeadSampler.LittleEndianBytes([2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23]), sinks["train_y.f32"].Committed);
        Assert.Empty(sinks["heldout_x.f32"].Committed!);
    }

    [Fact]
    public async Task Bad_samples_are_refused_with_the_head_named()
    {
        await using var faceNet = new DatasetAssembler(DatasetKind.FaceNet, 0.1, _ => new MemorySink());
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => faceNet.AddFaceNetHeadAsync("unit-short", new byte[1023], new byte[32768], CancellationToken.None).AsTask());
        Assert.Contains("unit-short", e.Message);
        await faceNet.AddFaceNetHeadAsync("unit-twice", new byte[1024], new byte[32768], CancellationToken.None);
        await Assert.ThrowsAsync<ArgumentException>(() => faceNet.AddFaceNetHeadAsync("unit-twice", new byte[1024], new byte[32768], CancellationToken.None).AsTask());

        await using var headsNet = new DatasetAssembler(DatasetKind.HeadsNet, 0.1, _ => new MemorySink());
        var partial = await Assert.ThrowsAsync<InvalidDataException>(() => headsNet.AddHeadsNetHeadAsync("unit-partial", new byte[32 * 5 + 7], CancellationToken.None));
        Assert.Contains("unit-partial", partial.Message);
    }

    [Fact]
    public async Task A_dataset_with_every_head_held_out_is_refused()
    {
        await using var assembler = new DatasetAssembler(DatasetKind.FaceNet, 0.999, _ => new MemorySink());
        var id = Enumerable.Range(0, 1000).Select(i => $"unit-{i}").First(id => HeldOutSplit.IsHeldOut(id, 0.999));
        await assembler.AddFaceNetHeadAsync(id, new byte[1024], new byte[32768], CancellationToken.None);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => assembler.CompleteAsync("unit-none", DatasetOrigin.Heads, DateTimeOffset.UnixEpoch, CancellationToken.None));
        Assert.Contains("no training rows", e.Message);
    }

    [Fact]
    public void A_manifest_whose_sizes_disagree_is_refused()
    {
        var json = """
            {"datasetId":"x","kind":"FaceNet","origin":"Heads","generatorVersion":"heads-dataset/1","createdAt":"2026-01-01T00:00:00Z",
             "heldOutFraction":0,"headIds":["a"],"trainHeadIds":["a"],"heldOutHeadIds":[],"trainRows":1,"heldOutRows":0,
             "files":[{"name":"train_x.dat","partition":"Train","role":"Inputs","rowBytes":1024,"rows":1,"bytes":1000,"sha256":""},
                      {"name":"train_y.dat","partition":"Train","role":"Targets","rowBytes":32768,"rows":1,"bytes":32768,"sha256":""},
                      {"name":"heldout_x.dat","partition":"HeldOut","role":"Inputs","rowBytes":1024,"rows":0,"bytes":0,"sha256":""},
                      {"name":"heldout_y.dat","partition":"HeldOut","role":"Targets","rowBytes":32768,"rows":0,"bytes":0,"sha256":""}]}
            """;
        var e = Assert.Throws<InvalidDataException>(() => DatasetManifest.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Contains("train_x.dat", e.Message);
        Assert.Throws<InvalidDataException>(() => DatasetManifest.Parse("{not json"u8));
    }

    [Fact]
    public void A_mesh_without_vertices_is_a_mesh_rejection()
    {
        var empty = Encoding.ASCII.GetBytes("ply\nformat binary_little_endian 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n");
        var photo = TestHeads.Get(1).Jpeg;
        var e = Assert.Throws<HeadSampleException>(() => new HeadSampler().Sample("unit-empty", new MemoryStream(empty), new MemoryStream(photo)));
        Assert.Equal(HeadSampleStage.Mesh, e.Stage);
        Assert.Contains("unit-empty", e.Message);
        Assert.IsType<PlyFormatException>(Assert.Throws<HeadSampleException>(() =>
            new HeadSampler().Sample("unit-garbage", new MemoryStream("not a ply"u8.ToArray()), new MemoryStream(photo))).InnerException);
    }
}
