using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Dataset.Service.Samples;
using Dataset.Service.Telemetry;
using Heads.Core.Datasets;
using Heads.Core.Geometry;
using Microsoft.Extensions.DependencyInjection;

namespace Dataset.Service.Tests;

public sealed class HeadProcessingTests(ServiceFixture service)
{
    [Fact]
    public async Task A_scraped_head_becomes_face_volume_and_headsnet_samples_under_its_id()
    {
        const string id = "proc-one";
        await service.ProcessHeadsAsync([id], _ => 2);
        var (_, _, vertices) = TestHeads.Get(2);

        var face = (await service.Datasets.GetBlobClient($"heads/{id}/face.u8").DownloadContentAsync()).Value.Content.ToArray();
        var volume = (await service.Datasets.GetBlobClient($"heads/{id}/volume.u8").DownloadContentAsync()).Value.Content.ToArray();
        var rows = (await service.Datasets.GetBlobClient($"heads/{id}/headsnet.f32").DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(1024, face.Length);
        Assert.Equal(32768, volume.Length);
        Assert.True(VoxelVolume.CountOccupied(volume) > 200, $"only {VoxelVolume.CountOccupied(volume)} voxels occupied");
        Assert.True(face.Distinct().Count() > 20, "the face is nearly flat");
        Assert.Equal(vertices * 32, rows.Length);

        float seed = HeadSeed.For(id);
        Assert.InRange(seed, 0f, 0.99999994f);
        for (int r = 0; r < vertices; r += 97)
        {
            Assert.Equal(seed, BinaryPrimitives.ReadSingleLittleEndian(rows.AsSpan(r * 32)));
            Assert.InRange(BinaryPrimitives.ReadSingleLittleEndian(rows.AsSpan(r * 32 + 4)), 0f, 1f);
        }

        // The marker records every file with its checksum.
        var record = await service.GetJsonAsync($"/api/v1/heads/{id}");
        var files = record.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(face)), files["face.u8"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(volume)), files["volume.u8"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(rows)), files["headsnet.f32"]);
        Assert.Equal(vertices, record.GetProperty("vertexCount").GetInt32());

        var page = await service.GetJsonAsync("/api/v1/heads?prefix=proc-");
        Assert.Contains(id, page.GetProperty("ids").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task The_same_event_twice_changes_nothing_in_storage()
    {
        const string id = "idem-one";
        await service.ProcessHeadsAsync([id]);
        var before = await service.SnapshotAsync($"heads/{id}/");
        Assert.Equal(4, before.Count);

        var log = service.Services.GetRequiredService<ProcessingRateLog>();
        long skipped = log.Skipped;
        await service.Bus.Publish(ServiceFixture.ScrapedEvent(id));
        await service.Bus.Publish(ServiceFixture.ScrapedEvent(id));
        await ServiceFixture.WaitForAsync(() => Task.FromResult(log.Skipped >= skipped + 2), "both repeats consumed");

        Assert.Equal(before, await service.SnapshotAsync($"heads/{id}/"));
    }

    [Fact]
    public async Task A_corrupt_mesh_is_rejected_with_its_reason_faults_its_message_and_leaves_other_heads_alone()
    {
        var good = TestHeads.Get(1);
        await service.StoreHeadAsync("badmesh-one", TestHeads.TruncatedPly(), good.Jpeg);
        await service.Bus.Publish(ServiceFixture.ScrapedEvent("badmesh-one"));
        await service.ProcessHeadsAsync(["badmesh-ok"]);

        var fault = await service.WaitForAsync(() => service.HeadFaults.FirstOrDefault(f => f.Message.HeadId == "badmesh-one"), "fault of badmesh-one");
        Assert.Equal(typeof(InvalidDataException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.Contains("mesh", fault.Exceptions[0].Message);

        var rejection = await FindRejectionAsync("badmesh-one");
        Assert.Equal("Mesh", rejection.GetProperty("stage").GetString());
        Assert.Contains("PLY", rejection.GetProperty("reason").GetString());
        Assert.Empty(await service.SnapshotAsync("heads/badmesh-one/"));
        Assert.Equal(4, (await service.SnapshotAsync("heads/badmesh-ok/")).Count);
    }

    [Fact]
    public async Task A_corrupt_photo_is_rejected_with_its_reason()
    {
        var good = TestHeads.Get(3);
        var notAPhoto = new byte[4096];
        new Random(7).NextBytes(notAPhoto);
        await service.StoreHeadAsync("badphoto-one", good.Ply, notAPhoto);
        await service.Bus.Publish(ServiceFixture.ScrapedEvent("badphoto-one"));

        var fault = await service.WaitForAsync(() => service.HeadFaults.FirstOrDefault(f => f.Message.HeadId == "badphoto-one"), "fault of badphoto-one");
        Assert.Contains("photo", fault.Exceptions[0].Message);
        var rejection = await FindRejectionAsync("badphoto-one");
        Assert.Equal("Photo", rejection.GetProperty("stage").GetString());
        Assert.False(string.IsNullOrWhiteSpace(rejection.GetProperty("reason").GetString()));
        Assert.Empty(await service.SnapshotAsync("heads/badphoto-one/"));
    }

    [Fact]
    public async Task A_head_whose_blobs_are_missing_is_rejected()
    {
        await service.Bus.Publish(ServiceFixture.ScrapedEvent("missing-one"));
        var rejection = await FindRejectionAsync("missing-one");
        Assert.Contains("does not exist", rejection.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_HeadScraped_with_an_invalid_head_id_faults_and_stores_nothing()
    {
        await service.Bus.Publish(ServiceFixture.ScrapedEvent("../Escape"));
        var fault = await service.WaitForAsync(() => service.HeadFaults.FirstOrDefault(f => f.Message.HeadId == "../Escape"), "fault of an invalid head id");
        Assert.Equal(typeof(ArgumentException).FullName, fault.Exceptions[0].ExceptionType);
        Assert.Empty(await service.SnapshotAsync("heads/../"));
        Assert.Empty(await service.SnapshotAsync("rejects/../"));
    }

    [Fact]
    public async Task Head_listings_refuse_invalid_paging_and_ids()
    {
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Client.GetAsync("/api/v1/heads?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Client.GetAsync("/api/v1/heads?offset=-1")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Client.GetAsync("/api/v1/heads?prefix=Bad_Prefix")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await service.Client.GetAsync("/api/v1/heads/Not%20An%20Id")).StatusCode);
        var unknown = await service.Client.GetAsync("/api/v1/heads/never-scraped");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    private async Task<JsonElement> FindRejectionAsync(string headId)
    {
        JsonElement found = default;
        await ServiceFixture.WaitForAsync(async () =>
        {
            var page = await service.GetJsonAsync("/api/v1/heads/rejected?limit=1000");
            foreach (var r in page.GetProperty("rejected").EnumerateArray())
                if (r.GetProperty("headId").GetString() == headId) { found = r; return true; }
            return false;
        }, $"rejection of {headId}");
        return found;
    }
}
