using System.IO.Compression;
using Heads.Core.FaceTo3D;
using Heads.Core.Geometry;

namespace Heads.Geometry.Tests;

public class FaceTo3DFileTests
{
    [Fact]
    public void Published_train_x_holds_3333_faces()
    {
        using var reader = FaceTo3DFiles.OpenTrainX(SharedData.TrainX);
        Assert.Equal(3333, reader.Count);
        var face = new byte[FaceTo3DFiles.FaceBytes];
        long n = 0;
        while (reader.TryRead(face)) n++;
        Assert.Equal(3333, n);
        Assert.Equal(3333, reader.Index);
    }

    [Fact]
    public void Published_train_y_gz_holds_3333_volumes_of_which_480_are_empty()
    {
        using var reader = FaceTo3DFiles.OpenTrainY(SharedData.TrainYGz);
        Assert.Null(reader.Count); // compressed: not known up front
        var volume = new byte[FaceTo3DFiles.VolumeBytes];
        int n = 0, empty = 0;
        while (reader.TryRead(volume))
        {
            n++;
            if (VoxelVolume.CountOccupied(volume) == 0) empty++;
        }
        Assert.Equal(3333, n);
        Assert.Equal(480, empty);
    }

    [Fact]
    public void Writers_round_trip_raw_and_gzip_and_readers_reject_partial_records()
    {
        using var scratch = new Scratch("heads-facefiles-");
        var dir = scratch.Path;
        {
            var rng = new Random(1);
            var volumes = Enumerable.Range(0, 5).Select(_ => { var v = new byte[FaceTo3DFiles.VolumeBytes]; rng.NextBytes(v); return v; }).ToList();
            foreach (var name in new[] { "train_y.dat", "train_y.dat.gz" })
            {
                var path = Path.Combine(dir, name);
                using (var w = FaceTo3DFiles.CreateTrainY(path))
                    foreach (var v in volumes) w.Write(v);
                using var r = FaceTo3DFiles.OpenTrainY(path);
                Assert.Equal(volumes, r.ReadAll().ToList());
            }
            Assert.True(new FileInfo(Path.Combine(dir, "train_y.dat.gz")).Length < 5 * 32768 + 1000);
            using (var w = FaceTo3DFiles.CreateTrainX(Path.Combine(dir, "x.dat")))
                Assert.Throws<ArgumentException>(() => w.Write(new byte[1000]));

            // A raw file that is not a whole number of records fails at open, naming the sizes.
            File.WriteAllBytes(Path.Combine(dir, "bad.dat"), new byte[1024 * 3 + 10]);
            var e = Assert.Throws<InvalidDataException>(() => FaceTo3DFiles.OpenTrainX(Path.Combine(dir, "bad.dat")));
            Assert.Contains("10 bytes over", e.Message);
            // A gzip stream ending mid-record fails when that record is read.
            using (var gz = new GZipStream(File.Create(Path.Combine(dir, "bad.dat.gz")), CompressionLevel.Fastest))
                gz.Write(new byte[1024 + 7]);
            using var reader = FaceTo3DFiles.OpenTrainX(Path.Combine(dir, "bad.dat.gz"));
            var buffer = new byte[1024];
            Assert.True(reader.TryRead(buffer));
            var t = Assert.Throws<InvalidDataException>(() => reader.TryRead(buffer));
            Assert.Contains("record 1 is truncated", t.Message);
        }
    }

    [Fact]
    public void Per_voxel_split_files_of_published_volumes_hold_each_voxel_for_every_sample()
    {
        using var scratch = new Scratch("heads-split-");
        var dir = scratch.Path;
        {
            // The first 12 published volumes: 32768 files (train_y_0.dat .. train_y_32767.dat) of 12 bytes.
            const int samples = 12;
            var original = new byte[samples * FaceTo3DFiles.VolumeBytes];
            using (var source = FaceTo3DFiles.OpenTrainY(SharedData.TrainYGz))
                for (int i = 0; i < samples; i++) Assert.True(source.TryRead(original.AsSpan(i * FaceTo3DFiles.VolumeBytes, FaceTo3DFiles.VolumeBytes)));
            using (var volumes = new SampleFileReader(new MemoryStream(original), FaceTo3DFiles.VolumeBytes))
                Assert.Equal(samples, VoxelSplitFiles.Write(volumes, dir));

            Assert.Equal(32768, Directory.GetFiles(dir).Length);
            Assert.True(File.Exists(Path.Combine(dir, "train_y_32767.dat")));
            Assert.Equal(samples, VoxelSplitFiles.SampleCount(dir));
            foreach (int voxel in new[] { 0, 1, 1000, 16 * 1024 + 16 * 32 + 16, 32767 })
            {
                var column = VoxelSplitFiles.ReadVoxel(dir, voxel);
                Assert.Equal(samples, column.Length);
                for (int s = 0; s < samples; s++) Assert.Equal(original[s * 32768 + voxel], column[s]);
            }
        }
    }

    [Theory]
    [InlineData(37, 10, 8)]
    [InlineData(5, 0, 0)]
    [InlineData(0, 4, 4)]
    public void Split_files_written_in_blocks_join_back_to_the_same_volumes(int samples, int writeBlock, int joinBlock)
    {
        // A small 8³ layout keeps the file count low while several blocks exercise appending.
        const int voxels = 512;
        using var scratch = new Scratch("heads-split-");
        var dir = scratch.Path;
        {
            var original = new byte[samples * voxels];
            new Random(samples).NextBytes(original);
            using (var volumes = new SampleFileReader(new NonSeekableStream(original, 700), voxels))
                Assert.Equal(samples, VoxelSplitFiles.Write(volumes, dir, writeBlock));
            Assert.Equal(voxels, Directory.GetFiles(dir).Length);
            var joined = new MemoryStream();
            using (var w = new SampleFileWriter(joined, voxels, leaveOpen: true))
                Assert.Equal(samples, VoxelSplitFiles.Join(dir, w, joinBlock));
            Assert.Equal(original, joined.ToArray());

            // A split file of the wrong length is reported by name.
            if (samples > 0)
            {
                File.WriteAllBytes(VoxelSplitFiles.PathOf(dir, 300), new byte[samples + 1]);
                using var w2 = new SampleFileWriter(new MemoryStream(), voxels);
                var e = Assert.Throws<InvalidDataException>(() => VoxelSplitFiles.Join(dir, w2, joinBlock));
                Assert.Contains("train_y_300.dat", e.Message);
            }
        }
    }
}
