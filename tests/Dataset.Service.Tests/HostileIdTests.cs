using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Heads.Core.Contracts;
using Heads.Testing.Malformed;

namespace Dataset.Service.Tests;

/// <summary>
/// Ids and blob paths from clients and messages never reach storage outside their place: traversal, encoded traversal,
/// absolute paths, overlong and non-ASCII ids get 400/404 over HTTP, and a message pointing outside its container is
/// rejected with its reason instead of being read.
/// </summary>
public sealed class HostileIdTests(ServiceFixture service)
{
    public static TheoryData<string> HostileIds =>
    [
        "..", "..%2F..%2Fheads", "%2e%2e%2f%2e%2e%2frejects", "..%5C..%5Cheads", "%2Fetc%2Fpasswd", "C:%5CWindows",
        new string('a', 65), "h%C3%A9ad", "%E2%80%AEevil", "HEAD-1", "-leading-dash", "heads", "rejects", "a%20b", "a%0Ab",
    ];

    [Theory]
    [MemberData(nameof(HostileIds))]
    public async Task Hostile_ids_in_every_route_are_refused(string id)
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var path in new[] { $"/api/v1/heads/{id}", $"/api/v1/datasets/{id}", $"/api/v1/datasets/{id}/files/manifest.json", $"/api/v1/datasets/faces-v1/files/{id}" })
        {
            var response = await service.Client.GetAsync(path, ct);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_dataset_file_name_never_reaches_storage_unless_the_manifest_lists_it()
    {
        await service.EnsureHeadsAsync("hostile-", 4);
        var build = await service.Client.PostAsync("/api/v1/datasets",
            JsonContent(new { datasetId = "hostile-files", kind = "FaceNet", headIdPrefix = "hostile-" }), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Accepted, build.StatusCode);
        await service.WaitForDatasetAsync("hostile-files");
        foreach (var name in new[] { "..%2Fheads%2Fhostile-00%2Fsample.json", "..%2F..%2Fmodels", "progress.json", "%2e%2e%2fmanifest.json", "manifest.json%0A" })
        {
            var response = await service.Client.GetAsync($"/api/v1/datasets/hostile-files/files/{name}", TestContext.Current.CancellationToken);
            Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"{name}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task Messages_whose_blob_paths_leave_their_container_are_rejected_and_not_read()
    {
        var ct = TestContext.Current.CancellationToken;
        // A readable head in the wrong container: were the path followed, it would become samples.
        var faces = service.Blobs.GetBlobContainerClient("faces");
        await faces.GetBlobClient("outside.ply").UploadAsync(new BinaryData(System.Text.Encoding.ASCII.GetBytes(MalformedPlys.AsciiCube)), overwrite: true, ct);
        await faces.GetBlobClient("inside.jpg").UploadAsync(new BinaryData(MalformedImages.Valid("jpeg")), overwrite: true, ct);
        var cases = new Dictionary<string, HeadScraped>
        {
            ["hostile-dot-dot"] = Event("hostile-dot-dot", "faces/inside.jpg", "meshes/../faces/outside.ply"),
            ["hostile-dot"] = Event("hostile-dot", "faces/./inside.jpg", "meshes/x.ply"),
            ["hostile-double-slash"] = Event("hostile-double-slash", "faces/inside.jpg", "meshes//faces/outside.ply"),
            ["hostile-backslash"] = Event("hostile-backslash", "faces/inside.jpg", "meshes/..\\faces\\outside.ply"),
            ["hostile-other-container"] = Event("hostile-other-container", "faces/inside.jpg", "faces/outside.ply"),
            ["hostile-absolute"] = Event("hostile-absolute", "faces/inside.jpg", "/meshes/x.ply"),
            ["hostile-long"] = Event("hostile-long", "faces/inside.jpg", "meshes/" + new string('x', 2000)),
        };
        foreach (var scraped in cases.Values) await service.Bus.Publish(scraped, ct);
        // An id that is itself a path never becomes a blob name: the message faults with the reason.
        var badId = Event("../heads/evil", "faces/inside.jpg", "meshes/x.ply");
        await service.Bus.Publish(badId, ct);

        Dictionary<string, JsonElement> rejected = [];
        await ServiceFixture.WaitForAsync(async () =>
        {
            rejected = (await service.GetJsonAsync("/api/v1/heads/rejected?limit=5000")).GetProperty("rejected").EnumerateArray()
                .ToDictionary(r => r.GetProperty("headId").GetString()!);
            return cases.Keys.All(rejected.ContainsKey);
        }, "hostile heads rejected");
        foreach (var id in cases.Keys)
        {
            Assert.Equal("Mesh", rejected[id].GetProperty("stage").GetString());
            await foreach (var blob in service.Datasets.GetBlobsAsync(new GetBlobsOptions { Prefix = $"heads/{id}/" }, ct))
                Assert.Fail($"{id} was written: {blob.Name}");
        }
        Assert.Contains("not a blob in container 'meshes'", rejected["hostile-dot-dot"].GetProperty("reason").GetString());
        var fault = await service.WaitForAsync(() => service.HeadFaults.FirstOrDefault(f => f.Message.HeadId == badId.HeadId), "fault of the path-like id");
        Assert.Contains("not a valid head id", fault.Exceptions[0].Message);
        await foreach (var blob in service.Datasets.GetBlobsAsync(new GetBlobsOptions { Prefix = "heads/evil" }, ct))
            Assert.Fail($"written: {blob.Name}");
    }

    private static HeadScraped Event(string headId, string face, string mesh) => ServiceFixture.ScrapedEvent(headId) with { FaceBlob = face, MeshBlob = mesh };

    private static StringContent JsonContent(object body) =>
        new(JsonSerializer.Serialize(body, ServiceFixture.Json), System.Text.Encoding.UTF8, "application/json");
}

/// <summary>The dataset service's endpoints have the shared request timeouts, and only the file download the long one.</summary>
public sealed class RequestTimeoutTests(ServiceFixture service)
{
    [Fact]
    public void Every_endpoint_has_a_timeout_and_only_downloads_a_long_one()
    {
        var options = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutOptions>>(service.Services).Value;
        Assert.Equal(TimeSpan.FromSeconds(30), options.DefaultPolicy!.Timeout);
        var endpoints = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>(service.Services).Endpoints.OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        Assert.DoesNotContain(endpoints, e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Timeouts.DisableRequestTimeoutAttribute>() is not null);
        var longOnes = endpoints.Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutAttribute>()?.PolicyName == "long")
            .Select(e => e.RoutePattern.RawText).ToList();
        Assert.Equal(["/api/v1/datasets/{id}/files/{name}"], longOnes);
    }
}
