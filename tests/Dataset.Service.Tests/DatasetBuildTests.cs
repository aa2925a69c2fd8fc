using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Microsoft.Extensions.DependencyInjection;

namespace Dataset.Service.Tests;

public sealed class DatasetBuildTests(ServiceFixture service)
{
    private const string Prefix = "set-";
    private const int HeadCount = 12;

    [Fact]
    public async Task A_FaceNet_build_commits_files_whose_bytes_match_the_manifest_and_the_heads()
    {
        await service.EnsureHeadsAsync(Prefix, HeadCount);
        var response = await service.Client.PostAsJsonAsync("/api/v1/datasets",
            new { datasetId = "fn-build", kind = "FaceNet", headIdPrefix = Prefix, heldOutFraction = 0.3 }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("/api/v1/datasets/fn-build", response.Headers.Location?.OriginalString);

        var status = await service.WaitForDatasetAsync("fn-build");
        var manifest = status.GetProperty("manifest");
        var files = await DownloadVerifiedAsync(status);
        var train = Ids(manifest, "trainHeadIds");
        var heldOut = Ids(manifest, "heldOutHeadIds");
        Assert.Equal(HeadCount, train.Count + heldOut.Count);
        Assert.Equal(Enumerable.Range(0, HeadCount).Select(i => $"{Prefix}{i:D2}"), Ids(manifest, "headIds"));
        Assert.All(heldOut, id => Assert.True(HeldOutSplit.IsHeldOut(id, 0.3)));
        Assert.All(train, id => Assert.False(HeldOutSplit.IsHeldOut(id, 0.3)));
        Assert.Equal(train.Count * 1024L, files["train_x.dat"].Length);
        Assert.Equal(train.Count * 32768L, files["train_y.dat"].Length);
        Assert.Equal(heldOut.Count * 1024L, files["heldout_x.dat"].Length);
        Assert.Equal(heldOut.Count * 32768L, files["heldout_y.dat"].Length);
        Assert.Equal(DatasetLayout.GeneratorVersion, manifest.GetProperty("generatorVersion").GetString());

        // Row i of each file is head i of its partition, byte for byte.
        for (int i = 0; i < train.Count; i++)
        {
            var face = await SampleAsync(train[i], "face.u8");
            var volume = await SampleAsync(train[i], "volume.u8");
            Assert.True(face.AsSpan().SequenceEqual(files["train_x.dat"].AsSpan(i * 1024, 1024)), $"train_x row {i}");
            Assert.True(volume.AsSpan().SequenceEqual(files["train_y.dat"].AsSpan(i * 32768, 32768)), $"train_y row {i}");
        }

        var built = await service.WaitForAsync(() => service.Built.FirstOrDefault(b => b.DatasetId == "fn-build"), "DatasetBuilt fn-build");
        Assert.Equal(DatasetKind.FaceNet, built.Kind);
        Assert.Equal(HeadCount, built.HeadCount);
        Assert.Equal(train.Count, built.TrainRows);
        Assert.Equal("datasets/fn-build/manifest.json", built.ManifestBlob);
        // The progress marker is gone once the manifest is committed.
        Assert.False((await service.Datasets.GetBlobClient("fn-build/progress.json").ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_HeadsNet_build_from_the_bus_streams_every_heads_rows_split_into_inputs_and_targets()
    {
        await service.EnsureHeadsAsync(Prefix, HeadCount);
        await service.Bus.Publish(new BuildDataset { DatasetId = "hn-build", Kind = DatasetKind.HeadsNet, HeadIdPrefix = Prefix, Limit = 8, HeldOutFraction = 0.25 });
        var built = await service.WaitForAsync(() => service.Built.FirstOrDefault(b => b.DatasetId == "hn-build"), "DatasetBuilt hn-build");
        var status = await service.WaitForDatasetAsync("hn-build");
        var manifest = status.GetProperty("manifest");
        var files = await DownloadVerifiedAsync(status);
        var train = Ids(manifest, "trainHeadIds");
        Assert.Equal(8, Ids(manifest, "headIds").Count);

        var expectedX = new MemoryStream();
        var expectedY = new MemoryStream();
        foreach (var id in train)
        {
            var rows = await SampleAsync(id, "headsnet.f32");
            for (int r = 0; r < rows.Length; r += 32)
            {
                expectedX.Write(rows, r, 8);
                expectedY.Write(rows, r + 8, 24);
            }
        }
        Assert.Equal(expectedX.ToArray(), files["train_x.f32"]);
        Assert.Equal(expectedY.ToArray(), files["train_y.f32"]);
        Assert.Equal(expectedX.Length / 8, built.TrainRows);
        Assert.Equal(files["heldout_x.f32"].Length / 8, built.HeldOutRows);
        Assert.Equal(files["heldout_x.f32"].Length / 8 * 24, files["heldout_y.f32"].Length);
        // Inputs are (seed of the head, sphere coordinate in [0, 1)).
        Assert.Equal(HeadSeed.For(train[0]), BinaryPrimitives.ReadSingleLittleEndian(files["train_x.f32"]));
    }

    [Fact]
    public async Task The_split_is_by_head_id_so_a_larger_dataset_keeps_every_heads_partition()
    {
        await service.EnsureHeadsAsync(Prefix, HeadCount);
        await service.Bus.Publish(new BuildDataset { DatasetId = "split-small", Kind = DatasetKind.FaceNet, HeadIdPrefix = Prefix, Limit = 6, HeldOutFraction = 0.4 });
        await service.Bus.Publish(new BuildDataset { DatasetId = "split-large", Kind = DatasetKind.FaceNet, HeadIdPrefix = Prefix, HeldOutFraction = 0.4 });
        var small = (await service.WaitForDatasetAsync("split-small")).GetProperty("manifest");
        var large = (await service.WaitForDatasetAsync("split-large")).GetProperty("manifest");
        var largeHeldOut = Ids(large, "heldOutHeadIds").ToHashSet();
        Assert.All(Ids(small, "heldOutHeadIds"), id => Assert.Contains(id, largeHeldOut));
        Assert.All(Ids(small, "trainHeadIds"), id => Assert.DoesNotContain(id, largeHeldOut));
    }

    [Fact]
    public void The_split_is_deterministic_near_its_fraction_and_independent_of_other_heads()
    {
        var ids = Enumerable.Range(0, 5000).Select(i => $"syn-{i}").ToList();
        var heldOut = ids.Where(id => HeldOutSplit.IsHeldOut(id, 0.1)).ToList();
        Assert.InRange(heldOut.Count, 400, 600);
        Assert.Equal(heldOut, ids.Where(id => HeldOutSplit.IsHeldOut(id, 0.1)));
        Assert.DoesNotContain(ids, id => HeldOutSplit.IsHeldOut(id, 0));
        // A larger fraction only adds heads to the held-out set.
        Assert.All(heldOut, id => Assert.True(HeldOutSplit.IsHeldOut(id, 0.2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeldOutSplit.IsHeldOut("syn-1", 1.0));
        var seeds = ids.Select(HeadSeed.For).ToList();
        Assert.All(seeds, s => Assert.InRange(s, 0f, 0.99999994f));
        Assert.True(seeds.Distinct().Count() > 4990, "head seeds collide too often");
    }

    [Fact]
    public async Task A_dataset_id_is_immutable_a_second_build_changes_nothing_and_announces_it_again()
    {
        await service.EnsureHeadsAsync(Prefix, HeadCount);
        await service.Bus.Publish(new BuildDataset { DatasetId = "immutable", Kind = DatasetKind.FaceNet, HeadIdPrefix = Prefix, Limit = 4 });
        await service.WaitForDatasetAsync("immutable");
        var before = await service.SnapshotAsync("immutable/");
        Assert.Equal(5, before.Count);

        var again = await service.Client.PostAsJsonAsync("/api/v1/datasets", new { datasetId = "immutable", kind = "HeadsNet" }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType?.MediaType);

        await service.Bus.Publish(new BuildDataset { DatasetId = "immutable", Kind = DatasetKind.HeadsNet, HeadIdPrefix = Prefix });
        await ServiceFixture.WaitForAsync(() => Task.FromResult(service.Built.Count(b => b.DatasetId == "immutable") >= 2), "DatasetBuilt announced again");
        Assert.All(service.Built.Where(b => b.DatasetId == "immutable"), b => Assert.Equal(DatasetKind.FaceNet, b.Kind));
        Assert.Equal(before, await service.SnapshotAsync("immutable/"));
    }

    [Fact]
    public async Task A_build_in_progress_shows_its_progress_and_a_stale_one_is_taken_over()
    {
        await service.EnsureHeadsAsync(Prefix, HeadCount);
        var progress = service.Datasets.GetBlobClient("in-progress/progress.json");
        await progress.UploadAsync(BinaryData.FromString(ProgressJson(DateTimeOffset.UtcNow)), overwrite: true);

        var status = await service.GetJsonAsync("/api/v1/datasets/in-progress");
        Assert.Equal("Building", status.GetProperty("state").GetString());
        Assert.Equal(3, status.GetProperty("headsDone").GetInt64());
        Assert.Equal(10, status.GetProperty("headsTotal").GetInt64());
        Assert.False(status.GetProperty("stalled").GetBoolean());
        var conflict = await service.Client.PostAsJsonAsync("/api/v1/datasets", new { datasetId = "in-progress", kind = "FaceNet" }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);

        // The builder of that marker stopped reporting long ago: a new build takes over and commits.
        await progress.UploadAsync(BinaryData.FromString(ProgressJson(DateTimeOffset.UtcNow.AddHours(-1))), overwrite: true);
        Assert.True((await service.GetJsonAsync("/api/v1/datasets/in-progress")).GetProperty("stalled").GetBoolean());
        await service.Bus.Publish(new BuildDataset { DatasetId = "in-progress", Kind = DatasetKind.FaceNet, HeadIdPrefix = Prefix, Limit = 3 });
        var ready = await service.WaitForDatasetAsync("in-progress");
        Assert.Equal(3, ready.GetProperty("headsDone").GetInt64());
    }

    [Fact]
    public async Task A_claim_left_building_by_an_ended_attempt_of_this_instance_is_taken_over_at_once()
    {
        // Storage went down mid-build: the attempt failed and could not record it, so its marker still says "building"
        // and is fresh. Only this instance can know that attempt is gone; another instance's fresh claim is respected.
        var store = service.Services.GetRequiredService<Dataset.Service.Building.DatasetStore>();
        var ct = TestContext.Current.CancellationToken;
        var first = await store.TryClaimAsync("orphaned-claim", DatasetKind.FaceNet, ct);
        Assert.NotNull(first);
        Assert.Null(await store.TryClaimAsync("orphaned-claim", DatasetKind.FaceNet, ct)); // still running here

        store.EndAttempt(first.Attempt);
        var second = await store.TryClaimAsync("orphaned-claim", DatasetKind.FaceNet, ct);
        Assert.NotNull(second);
        Assert.NotEqual(first.Attempt, second.Attempt);
        await Assert.ThrowsAsync<Dataset.Service.Building.BuildClaimLostException>(() => first.ReportAsync(1, 2, 0, TimeSpan.Zero, force: true, ct));

        // A fresh marker of another instance (another Builder) is left alone.
        var progress = service.Datasets.GetBlobClient("other-instance/progress.json");
        await progress.UploadAsync(BinaryData.FromString(ProgressJson(DateTimeOffset.UtcNow)), overwrite: true, ct);
        Assert.Null(await store.TryClaimAsync("other-instance", DatasetKind.FaceNet, ct));
        store.EndAttempt(second.Attempt);
    }

    [Fact]
    public async Task A_build_with_no_heads_is_refused_over_http_and_faults_with_its_reason_on_the_bus()
    {
        var refused = await service.Client.PostAsJsonAsync("/api/v1/datasets", new { datasetId = "no-heads", kind = "FaceNet", headIdPrefix = "nothing-here-" }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("nothing-here-", await refused.Content.ReadAsStringAsync());

        await service.Bus.Publish(new BuildDataset { DatasetId = "no-heads", Kind = DatasetKind.FaceNet, HeadIdPrefix = "nothing-here-" });
        var fault = await service.WaitForAsync(() => service.BuildFaults.FirstOrDefault(f => f.Message.DatasetId == "no-heads"), "fault of no-heads");
        Assert.Contains("no processed head id starts with 'nothing-here-'", fault.Exceptions[0].Message);
        var status = await service.GetJsonAsync("/api/v1/datasets/no-heads");
        Assert.Equal("Failed", status.GetProperty("state").GetString());
        Assert.Contains("nothing-here-", status.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("""{"datasetId":"Bad_Id","kind":"FaceNet"}""")]
    [InlineData("""{"datasetId":"heads","kind":"FaceNet"}""")]
    [InlineData("""{"datasetId":"-leading","kind":"FaceNet"}""")]
    [InlineData("""{"datasetId":"ok-id"}""")]
    [InlineData("""{"datasetId":"ok-id","kind":"Voxels"}""")]
    [InlineData("""{"datasetId":"ok-id","kind":"FaceNet","heldOutFraction":1.0}""")]
    [InlineData("""{"datasetId":"ok-id","kind":"FaceNet","limit":0}""")]
    [InlineData("""{"datasetId":"ok-id","kind":"FaceNet","headIdPrefix":"../x"}""")]
    public async Task Invalid_build_requests_are_refused_with_400(string body)
    {
        var response = await service.Client.PostAsync("/api/v1/datasets", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_build_without_an_id_gets_a_generated_valid_one()
    {
        await service.EnsureHeadsAsync(Prefix, HeadCount);
        var response = await service.Client.PostAsJsonAsync("/api/v1/datasets", new { kind = "HeadsNet", headIdPrefix = Prefix, limit = 1, heldOutFraction = 0.0 }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = response.Headers.Location!.OriginalString["/api/v1/datasets/".Length..];
        Assert.True(ResourceIds.IsValid(id), id);
        Assert.StartsWith("headsnet-", id);
        var status = await service.WaitForDatasetAsync(id);
        Assert.Equal(0, status.GetProperty("manifest").GetProperty("heldOutRows").GetInt64());
    }

    [Fact]
    public async Task A_BuildDataset_with_an_invalid_id_faults_without_touching_storage()
    {
        await service.Bus.Publish(new BuildDataset { DatasetId = "Not/Valid", Kind = DatasetKind.FaceNet });
        var fault = await service.WaitForAsync(() => service.BuildFaults.FirstOrDefault(f => f.Message.DatasetId == "Not/Valid"), "fault of an invalid id");
        Assert.Equal(typeof(ArgumentException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.Empty(await service.SnapshotAsync("Not/"));
    }

    [Fact]
    public async Task Unknown_datasets_and_files_are_404_and_invalid_ids_400()
    {
        var unknown = await service.Client.GetAsync("/api/v1/datasets/never-built");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.GetAsync("/api/v1/datasets/never-built/files/train_x.dat")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Client.GetAsync("/api/v1/datasets/Not_Valid")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Client.GetAsync("/api/v1/datasets/rejects")).StatusCode);

        await service.EnsureHeadsAsync(Prefix, HeadCount);
        await service.Bus.Publish(new BuildDataset { DatasetId = "files-only", Kind = DatasetKind.FaceNet, HeadIdPrefix = Prefix, Limit = 2 });
        await service.WaitForDatasetAsync("files-only");
        // Only names the manifest lists are served, whatever else sits in the folder.
        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.GetAsync("/api/v1/datasets/files-only/files/manifest.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await service.Client.GetAsync("/api/v1/datasets/files-only/files/train_x.f32")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await service.Client.GetAsync("/api/v1/datasets/files-only/files/train_x.dat")).StatusCode);

        var list = await service.GetJsonAsync("/api/v1/datasets?limit=1000");
        var row = list.GetProperty("datasets").EnumerateArray().Single(d => d.GetProperty("datasetId").GetString() == "files-only");
        Assert.Equal("Ready", row.GetProperty("state").GetString());
        Assert.Equal(2, row.GetProperty("heads").GetInt32());
        Assert.DoesNotContain(list.GetProperty("datasets").EnumerateArray(), d => d.GetProperty("datasetId").GetString() is "heads" or "rejects");
    }

    [Fact]
    public async Task A_request_body_over_the_cap_is_refused_with_413()
    {
        var huge = new StringContent("{\"datasetId\":\"" + new string('a', 2 << 20) + "\"}", Encoding.UTF8, "application/json");
        var response = await service.Client.PostAsync("/api/v1/datasets", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private static string ProgressJson(DateTimeOffset updated) => JsonSerializer.Serialize(new
    {
        datasetId = "in-progress", kind = "FaceNet", attempt = Guid.NewGuid(), state = "Building",
        headsDone = 3, headsTotal = 10, bytesWritten = 0, startedAt = updated, updatedAt = updated,
    });

    private static List<string> Ids(JsonElement manifest, string property) =>
        manifest.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToList();

    private async Task<byte[]> SampleAsync(string headId, string name) =>
        (await service.Datasets.GetBlobClient($"heads/{headId}/{name}").DownloadContentAsync()).Value.Content.ToArray();

    /// <summary>Downloads every file through its link and checks its size and SHA-256 against the manifest.</summary>
    private async Task<Dictionary<string, byte[]>> DownloadVerifiedAsync(JsonElement status)
    {
        var files = new Dictionary<string, byte[]>();
        foreach (var file in status.GetProperty("files").EnumerateArray())
        {
            var name = file.GetProperty("name").GetString()!;
            var bytes = await service.Client.GetByteArrayAsync(file.GetProperty("href").GetString());
            Assert.Equal(file.GetProperty("bytes").GetInt64(), bytes.LongLength);
            Assert.Equal(file.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Equal(file.GetProperty("rows").GetInt64() * file.GetProperty("rowBytes").GetInt32(), bytes.LongLength);
            files[name] = bytes;
        }
        var manifestFiles = status.GetProperty("manifest").GetProperty("files").EnumerateArray().Select(f => f.GetProperty("name").GetString()).Order();
        Assert.Equal(manifestFiles, files.Keys.Order());
        // The blob's committed bytes carry the same checksum as metadata.
        var id = status.GetProperty("datasetId").GetString();
        foreach (var (name, bytes) in files)
        {
            BlobProperties props = await service.Datasets.GetBlobClient($"{id}/{name}").GetPropertiesAsync();
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), props.Metadata["sha256"]);
        }
        return files;
    }
}
