using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Heads.Core.FaceTo3D;

namespace Dataset.Service.Tests;

public sealed class ImportTests(ServiceFixture service)
{
    [Fact]
    public async Task The_original_facenet_files_import_as_a_FaceNet_dataset_of_3333_rows()
    {
        _ = SharedData.Root; // fails with where it looked when the shared data is missing
        var response = await service.Client.PostAsJsonAsync("/api/v1/datasets/imports", new { datasetId = "facenet-original", directory = "facenet" }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = await service.WaitForDatasetAsync("facenet-original", seconds: 60);
        var manifest = status.GetProperty("manifest");
        long train = manifest.GetProperty("trainRows").GetInt64(), heldOut = manifest.GetProperty("heldOutRows").GetInt64();
        Assert.Equal(3333, train + heldOut);
        Assert.InRange(heldOut, 250, 420);
        Assert.Equal("Import", manifest.GetProperty("origin").GetString());
        Assert.Equal("facenet", manifest.GetProperty("importDirectory").GetString());

        var files = status.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(train * 1024, files["train_x.dat"].GetProperty("bytes").GetInt64());
        Assert.Equal(train * 32768, files["train_y.dat"].GetProperty("bytes").GetInt64());
        Assert.Equal(heldOut * 1024, files["heldout_x.dat"].GetProperty("bytes").GetInt64());
        Assert.Equal(heldOut * 32768, files["heldout_y.dat"].GetProperty("bytes").GetInt64());

        // The faces are the original rows, split by row id, in the original order.
        var original = File.ReadAllBytes(Path.Combine(SharedData.FaceNetDirectory, "train_x.dat"));
        var trainIds = manifest.GetProperty("trainHeadIds").EnumerateArray().Select(e => e.GetString()!).ToList();
        var trainX = await service.Client.GetByteArrayAsync(files["train_x.dat"].GetProperty("href").GetString());
        Assert.Equal(files["train_x.dat"].GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(trainX)));
        var expected = new MemoryStream();
        foreach (var id in trainIds) expected.Write(original, int.Parse(id["facenet-".Length..]) * 1024, 1024);
        Assert.Equal(expected.ToArray(), trainX);

        // The volumes stream back with the checksum the manifest promises.
        using var trainY = await service.Client.GetStreamAsync(files["train_y.dat"].GetProperty("href").GetString());
        Assert.Equal(files["train_y.dat"].GetProperty("sha256").GetString(), Convert.ToHexStringLower(await SHA256.HashDataAsync(trainY)));

        // And the held-out volume of the first held-out row is that row of the original volumes.
        var firstHeldOut = manifest.GetProperty("heldOutHeadIds")[0].GetString()!;
        int row = int.Parse(firstHeldOut["facenet-".Length..]);
        using var volumes = FaceTo3DFiles.OpenTrainY(Path.Combine(SharedData.FaceNetDirectory, "train_y.dat.gz"));
        Assert.True(volumes.Skip(row));
        var volume = new byte[FaceTo3DFiles.VolumeBytes];
        Assert.True(volumes.TryRead(volume));
        var request = new HttpRequestMessage(HttpMethod.Get, files["heldout_y.dat"].GetProperty("href").GetString());
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, FaceTo3DFiles.VolumeBytes - 1);
        var ranged = await service.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(volume, await ranged.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("../facenet", HttpStatusCode.BadRequest)]
    [InlineData("/etc", HttpStatusCode.BadRequest)]
    [InlineData("FaceNet", HttpStatusCode.BadRequest)]
    [InlineData("facenet/..", HttpStatusCode.BadRequest)]
    [InlineData("", HttpStatusCode.BadRequest)]
    [InlineData("no-such-folder", HttpStatusCode.NotFound)]
    public async Task Import_folders_are_simple_names_under_the_root(string directory, HttpStatusCode expected)
    {
        var response = await service.Client.PostAsJsonAsync("/api/v1/datasets/imports", new { datasetId = "bad-import", directory }, ServiceFixture.Json);
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
