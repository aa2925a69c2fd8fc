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
        var dir = Directory.CreateTempSubdirectory("heads-facefiles-").FullName;
        try
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
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Per_voxel_split_files_hold_each_voxel_for_every_sample_and_join_back()
    {
        var dir = Directory.CreateTempSubdirectory("heads-split-").FullName;
        try
        {
            // The first 40 published volumes, 32768 split files of 40 bytes, written in blocks of 16 samples.
            const int samples = 40;
            var ms = new MemoryStream();
            using (var source = FaceTo3DFiles.OpenTrainY(SharedData.TrainYGz))
            using (var w = new SampleFileWriter(ms, FaceTo3DFiles.VolumeBytes, leaveOpen: true))
            {
                var v = new byte[FaceTo3DFiles.VolumeBytes];
                for (int i = 0; i < samples && source.TryRead(v); i++) w.Write(v);
            }
            var original = ms.ToArray();
            ms.Position = 0;
            using (var volumes = new SampleFileReader(ms, FaceTo3DFiles.VolumeBytes, leaveOpen: true))
                Assert.Equal(samples, VoxelSplitFiles.Write(volumes, dir, samplesPerBlock: 16));

            Assert.Equal(32768, Directory.GetFiles(dir).Length);
            Assert.Equal(samples, VoxelSplitFiles.SampleCount(dir));
            foreach (int voxel in new[] { 0, 1, 1000, 16 * 1024 + 16 * 32 + 16, 32767 })
            {
                var column = VoxelSplitFiles.ReadVoxel(dir, voxel);
                Assert.Equal(samples, column.Length);
                for (int s = 0; s < samples; s++) Assert.Equal(original[s * 32768 + voxel], column[s]);
            }
            Assert.True(File.Exists(Path.Combine(dir, "train_y_32767.dat")));

            var joined = new MemoryStream();
            using (var w = new SampleFileWriter(joined, FaceTo3DFiles.VolumeBytes, leaveOpen: true))
                Assert.Equal(samples, VoxelSplitFiles.Join(dir, w, samplesPerBlock: 25));
            Assert.Equal(original, joined.ToArray());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
