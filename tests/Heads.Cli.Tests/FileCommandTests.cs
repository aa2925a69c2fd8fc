using System.Globalization;
using System.Text.Json;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Synthetic;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Heads.Cli.Tests;

/// <summary>voxelize, render, inspect and generate on a generated head and files derived from it.</summary>
public sealed class FileCommandTests(Workspace workspace)
{
    private readonly string folder = workspace.NewFolder();

    [Fact]
    public async Task Voxelize_writes_the_dataset_services_volume_in_every_format()
    {
        // The dataset service's HeadSampler voxelises with the default options.
        var expected = Voxelizer.Voxelize(workspace.Head).Data;
        var run = await HeadsTool.ExpectAsync(0, folder, "voxelize", workspace.HeadPly, "-o", "v.raw");
        Assert.Contains($"{VoxelVolume.CountOccupied(expected):N0} of 32,768 voxels occupied", run.Output);
        Assert.Equal(expected, await File.ReadAllBytesAsync(Path.Combine(folder, "v.raw"), TestContext.Current.CancellationToken));

        await HeadsTool.ExpectAsync(0, folder, "voxelize", workspace.HeadPly, "-o", "v.csv");
        var csv = (await File.ReadAllTextAsync(Path.Combine(folder, "v.csv"), TestContext.Current.CancellationToken)).Trim().Split(',');
        Assert.Equal(32768, csv.Length);
        Assert.Equal(expected, csv.Select(v => byte.Parse(v, CultureInfo.InvariantCulture)).ToArray());

        await HeadsTool.ExpectAsync(0, folder, "voxelize", workspace.HeadPly, "-o", "v.json");
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "v.json"), TestContext.Current.CancellationToken));
        Assert.Equal(32, json.RootElement.GetProperty("size").GetInt32());
        Assert.Equal(expected, json.RootElement.GetProperty("data").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray());

        await HeadsTool.ExpectAsync(0, folder, "voxelize", workspace.HeadPly, "-o", "v.ply");
        var points = PlyReader.Read(Path.Combine(folder, "v.ply"));
        Assert.Equal(VoxelVolume.CountOccupied(expected), points.VertexCount);
        Assert.Equal(0, points.TriangleCount);

        await HeadsTool.ExpectAsync(0, folder, "voxelize", workspace.HeadPly, "-o", "surface.ply", "--mesh");
        var surface = PlyReader.Read(Path.Combine(folder, "surface.ply"));
        Assert.Equal(MarchingCubes.Extract(new VoxelVolume(expected)).TriangleCount, surface.TriangleCount);
    }

    [Fact]
    public async Task Render_draws_a_mesh_from_several_angles()
    {
        await HeadsTool.ExpectAsync(0, folder, "render", workspace.HeadPly, "-o", "views.png", "--angles", "0,90,180", "--size", "128");
        using var image = Image.Load<Rgb24>(Path.Combine(folder, "views.png"));
        Assert.Equal(384, image.Width);
        Assert.Equal(128, image.Height);
        for (int view = 0; view < 3; view++) AssertHeadDrawn(image, view * 128, 128);
        // Front and back differ: the angles were applied.
        Assert.True(TileDifference(image, 0, 256, 128) > 10, "the front and back views are the same picture");
    }

    [Fact]
    public async Task Render_draws_volumes_and_point_clouds()
    {
        var volume = Voxelizer.Voxelize(workspace.Head).Data;
        await File.WriteAllBytesAsync(Path.Combine(folder, "v.raw"), volume, TestContext.Current.CancellationToken);
        await HeadsTool.ExpectAsync(0, folder, "render", "v.raw", "-o", "volume.png");
        using (var image = Image.Load<Rgb24>(Path.Combine(folder, "volume.png")))
        {
            Assert.Equal(256, image.Width);
            AssertHeadDrawn(image, 0, 256);
        }

        using (var s = File.Create(Path.Combine(folder, "points.ply"))) VolumeExport.WritePointCloud(s, new VoxelVolume(volume));
        await HeadsTool.ExpectAsync(0, folder, "render", "points.ply", "-o", "points.png", "--angles", "0 90", "--size", "96");
        using (var image = Image.Load<Rgb24>(Path.Combine(folder, "points.png")))
        {
            Assert.Equal(192, image.Width);
            AssertHeadDrawn(image, 0, 96);
            AssertHeadDrawn(image, 96, 96);
        }

        var lines = Enumerable.Range(0, workspace.Head.VertexCount).Where(i => i % 7 == 0).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"{workspace.Head.Positions[3 * i]},{workspace.Head.Positions[3 * i + 1]},{workspace.Head.Positions[3 * i + 2]},{workspace.Head.Colors[3 * i]},{workspace.Head.Colors[3 * i + 1]},{workspace.Head.Colors[3 * i + 2]}"));
        await File.WriteAllLinesAsync(Path.Combine(folder, "points.csv"), lines, TestContext.Current.CancellationToken);
        var run = await HeadsTool.ExpectAsync(0, folder, "render", "points.csv", "-o", "csv.png", "--size", "96");
        Assert.Contains("point cloud", run.Output);
        using (var image = Image.Load<Rgb24>(Path.Combine(folder, "csv.png"))) AssertHeadDrawn(image, 0, 96);
    }

    [Fact]
    public async Task Render_refuses_bad_input_with_one_line()
    {
        await File.WriteAllTextAsync(Path.Combine(folder, "broken.ply"), "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nend_header\n1\n2\n", TestContext.Current.CancellationToken);
        var reason = await HeadsTool.ExpectInputErrorAsync(folder, "render", "broken.ply", "-o", "x.png");
        Assert.Contains("PLY", reason);
        Assert.False(File.Exists(Path.Combine(folder, "x.png")));
        await HeadsTool.ExpectInputErrorAsync(folder, "render", "missing.ply", "-o", "x.png");
        await File.WriteAllBytesAsync(Path.Combine(folder, "short.raw"), new byte[1001], TestContext.Current.CancellationToken);
        Assert.Contains("not a cube", await HeadsTool.ExpectInputErrorAsync(folder, "render", "short.raw", "-o", "x.png"));
        Assert.Contains(".png", await HeadsTool.ExpectInputErrorAsync(folder, "render", workspace.HeadPly, "-o", "x.gif"));
    }

    [Fact]
    public async Task Inspect_tells_what_a_ply_holds()
    {
        var run = await HeadsTool.ExpectAsync(0, folder, "inspect", workspace.HeadPly);
        Assert.Matches($@"vertices\s+{workspace.Head.VertexCount:N0}\n", run.Output);
        Assert.Matches($@"triangles\s+{workspace.Head.TriangleCount:N0}\n", run.Output);
        Assert.Contains("BinaryLittleEndian", run.Output);
        Assert.Matches(@"colours\s+per vertex", run.Output);
        float maxY = Enumerable.Range(0, workspace.Head.VertexCount).Max(i => workspace.Head.Positions[3 * i + 1]);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"..{maxY:G5}, z"), run.Output);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(workspace.HeadPly, TestContext.Current.CancellationToken))), run.Output);
    }

    [Fact]
    public async Task Inspect_verifies_a_dataset_manifest_against_its_files()
    {
        var run = await HeadsTool.ExpectAsync(0, folder, "inspect", workspace.DatasetManifest);
        Assert.Contains("cli-test", run.Output);
        Assert.Contains("4 (3 train, 1 held out", run.Output);
        Assert.Equal(4, run.Output.Split("[verified]").Length - 1);

        // A copy with one file changed: named, exit 2.
        var copy = Directory.CreateDirectory(Path.Combine(folder, "dataset")).FullName;
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(workspace.DatasetManifest)!)) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        var bytes = await File.ReadAllBytesAsync(Path.Combine(copy, "heldout_x.dat"), TestContext.Current.CancellationToken);
        bytes[10] ^= 0xff;
        await File.WriteAllBytesAsync(Path.Combine(copy, "heldout_x.dat"), bytes, TestContext.Current.CancellationToken);
        Assert.Contains("heldout_x.dat does not match", await HeadsTool.ExpectInputErrorAsync(folder, "inspect", copy));
    }

    [Fact]
    public async Task Generate_writes_the_scrapers_synthetic_head()
    {
        var run = await HeadsTool.ExpectAsync(0, folder, "generate", "--seed", "3", "-o", "syn-3.ply", "--photo", "syn-3.jpg");
        Assert.Contains("62,208 triangles", run.Output);
        using var expected = new MemoryStream();
        PlyWriter.Write(expected, new HeadGenerator().Generate(3));
        Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(Path.Combine(folder, "syn-3.ply"), TestContext.Current.CancellationToken));
        using var photo = Image.Load<Rgb24>(Path.Combine(folder, "syn-3.jpg"));
        Assert.Equal(256, photo.Width);
    }

    [Fact]
    public async Task Generate_and_voxelize_write_glb_and_obj_by_extension()
    {
        var ct = TestContext.Current.CancellationToken;
        var head = new HeadGenerator().Generate(3);
        await HeadsTool.ExpectAsync(0, folder, "generate", "--seed", "3", "-o", "syn-3.glb");
        var glb = await File.ReadAllBytesAsync(Path.Combine(folder, "syn-3.glb"), ct);
        Assert.Equal("glTF"u8.ToArray(), glb[..4]);
        var json = System.Text.Json.JsonDocument.Parse(glb.AsMemory(20, BitConverter.ToInt32(glb, 12))).RootElement;
        Assert.Equal(head.VertexCount, json.GetProperty("accessors")[0].GetProperty("count").GetInt32());

        await HeadsTool.ExpectAsync(0, folder, "generate", "--seed", "3", "-o", "syn-3.obj");
        var obj = await File.ReadAllLinesAsync(Path.Combine(folder, "syn-3.obj"), ct);
        Assert.Equal(head.VertexCount, obj.Count(l => l.StartsWith("v ", StringComparison.Ordinal)));
        Assert.Equal(head.TriangleCount, obj.Count(l => l.StartsWith("f ", StringComparison.Ordinal)));

        // A volume's surface: .obj and .glb are the marching-cubes mesh without --mesh.
        await HeadsTool.ExpectAsync(0, folder, "voxelize", workspace.HeadPly, "-o", "v.obj");
        Assert.Contains(await File.ReadAllLinesAsync(Path.Combine(folder, "v.obj"), ct), l => l.StartsWith("f ", StringComparison.Ordinal));
        Assert.Contains("the mesh is written as .ply, .obj, .glb", await HeadsTool.ExpectInputErrorAsync(folder, "generate", "--seed", "3", "-o", "syn-3.stl"));
    }

    /// <summary>The tile is not blank: many pixels differ clearly from its background corner, and they sit in the middle.</summary>
    private static void AssertHeadDrawn(Image<Rgb24> image, int left, int size)
    {
        var corner = image[left + 1, 1];
        int differing = 0, centre = 0;
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            var p = image[left + x, y];
            if (Math.Abs(p.R - corner.R) + Math.Abs(p.G - corner.G) + Math.Abs(p.B - corner.B) <= 40) continue;
            differing++;
            if (x > size / 4 && x < size * 3 / 4 && y > size / 4 && y < size * 3 / 4) centre++;
        }
        Assert.True(differing > size * size / 10, $"only {differing} of {size * size} pixels differ from the background in the tile at {left}");
        Assert.True(centre > size * size / 8, $"the head is not in the middle of the tile at {left} ({centre} central pixels)");
    }

    private static double TileDifference(Image<Rgb24> image, int a, int b, int size)
    {
        double sum = 0;
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            var p = image[a + x, y];
            var q = image[b + x, y];
            sum += Math.Abs(p.R - q.R) + Math.Abs(p.G - q.G) + Math.Abs(p.B - q.B);
        }
        return sum / (size * size);
    }
}
