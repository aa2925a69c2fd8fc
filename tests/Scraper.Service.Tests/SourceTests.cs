using System.Text;
using Heads.Core.Geometry.Ply;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Scraper.Service.Sources;

namespace Scraper.Service.Tests;

public class SyntheticSourceTests
{
    private static SyntheticHeadSource Source() => new(Options.Create(new SyntheticSourceOptions { PhotoSize = 128 }));

    [Fact]
    public async Task Same_seed_gives_the_same_bytes_and_the_predicted_id()
    {
        var a = await Source().ProduceAsync(40, 2, TestContext.Current.CancellationToken);
        var b = await Source().ProduceAsync(41, 1, TestContext.Current.CancellationToken);
        Assert.Equal("syn-42", a.HeadId);
        Assert.Equal(a.HeadId, Source().PredictHeadId(40, 2));
        Assert.Equal(a.FacePhoto, b.FacePhoto);
        Assert.Equal(a.MeshPly, b.MeshPly);
        Assert.Equal(42, a.Seed);
    }

    [Fact]
    public async Task Different_seeds_give_different_heads_and_a_readable_mesh()
    {
        var a = await Source().ProduceAsync(1, 0, TestContext.Current.CancellationToken);
        var b = await Source().ProduceAsync(2, 0, TestContext.Current.CancellationToken);
        Assert.NotEqual(a.FacePhoto, b.FacePhoto);
        Assert.NotEqual(a.MeshPly, b.MeshPly);
        var mesh = PlyReader.ReadHeadMesh(new MemoryStream(a.MeshPly));
        Assert.InRange(mesh.TriangleCount, 20_000, 100_000);
        Assert.Equal(0xFF, a.FacePhoto[0]); // JPEG SOI marker
        Assert.Equal(0xD8, a.FacePhoto[1]);
    }
}

public class MeshFormatTests
{
    [Fact]
    public void Obj_from_a_reconstruction_service_becomes_binary_ply()
    {
        var obj = "# quad\nv 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 1 1 0 0 0 1\nv 0 1 0 1 1 1\nvn 0 0 1\nf 1//1 2//1 3//1 4//1\n"u8.ToArray();
        var ply = MeshFormats.ToBinaryPly(obj);
        var mesh = PlyReader.ReadHeadMesh(new MemoryStream(ply));
        Assert.Equal(4, mesh.VertexCount);
        Assert.Equal(2, mesh.TriangleCount);
        Assert.Equal(new byte[] { 255, 0, 0 }, mesh.Colors[..3]);
        Assert.StartsWith("ply\nformat binary_little_endian", Encoding.ASCII.GetString(ply, 0, 40));
    }

    [Fact]
    public void Garbage_is_refused_with_the_reason()
    {
        var ex = Assert.Throws<HeadSourceException>(() => MeshFormats.ToBinaryPly("f 1 2 3\n"u8.ToArray()));
        Assert.Contains("vertex index", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>The http source against a local fake of the face site and the reconstruction endpoint.</summary>
public sealed class HttpSourceTests : IAsyncLifetime
{
    private WebApplication? _fake;
    private string _baseUrl = "";
    private int _reconstructions;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _fake = builder.Build();
        var photo = await new SyntheticHeadSource(Options.Create(new SyntheticSourceOptions { PhotoSize = 64 }))
            .ProduceAsync(5, 0, CancellationToken.None);
        _fake.MapGet("/face", () => Results.File(photo.FacePhoto, "image/jpeg"));
        _fake.MapPost("/reconstruct", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _reconstructions);
            var form = await request.ReadFormAsync();
            if (form.Files["image"] is not { Length: > 0 }) return Results.BadRequest();
            return Results.Text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "model/obj");
        });
        _fake.MapPost("/broken", () => Results.StatusCode(500));
        await _fake.StartAsync();
        _baseUrl = _fake.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async ValueTask DisposeAsync()
    {
        if (_fake is not null) await _fake.DisposeAsync();
    }

    private static HttpHeadSource Source(string imageUrl, string reconstructionUrl)
    {
        var services = new ServiceCollection();
        services.AddHttpClient(HttpHeadSource.ClientName, c => c.Timeout = TimeSpan.FromSeconds(5));
        var options = Options.Create(new HttpSourceOptions { ImageUrl = imageUrl, ReconstructionUrl = reconstructionUrl });
        return new HttpHeadSource(services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>(), options);
    }

    [Fact]
    public async Task Fetches_a_face_and_stores_its_reconstruction_as_ply()
    {
        var head = await Source($"{_baseUrl}/face", $"{_baseUrl}/reconstruct").ProduceAsync(0, 0, TestContext.Current.CancellationToken);
        Assert.StartsWith("web-", head.HeadId, StringComparison.Ordinal);
        Assert.Equal(1, _reconstructions);
        Assert.Equal(1, PlyReader.ReadHeadMesh(new MemoryStream(head.MeshPly)).TriangleCount);
    }

    [Fact]
    public async Task A_failing_reconstruction_endpoint_is_reported_with_its_status()
    {
        var ex = await Assert.ThrowsAsync<HeadSourceException>(() =>
            Source($"{_baseUrl}/face", $"{_baseUrl}/broken").ProduceAsync(0, 0, TestContext.Current.CancellationToken));
        Assert.Contains("500", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_image_source_is_reported_clearly()
    {
        var closedPort = Heads.Testing.RealInfrastructure.FreePort();
        var ex = await Assert.ThrowsAsync<HeadSourceException>(() =>
            Source($"http://127.0.0.1:{closedPort}/face", $"{_baseUrl}/reconstruct").ProduceAsync(0, 0, TestContext.Current.CancellationToken));
        Assert.Contains("unreachable", ex.Message, StringComparison.Ordinal);
        Assert.Contains(closedPort.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_reconstruction_endpoint_the_source_says_what_to_configure()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() =>
            Source($"{_baseUrl}/face", "").ProduceAsync(0, 0, TestContext.Current.CancellationToken));
        Assert.Contains("ReconstructionUrl", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class FolderSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("heads-folder-source-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private FolderHeadSource Source(string? path = null) => new(Options.Create(new FolderSourceOptions { Path = path ?? _dir }));

    [Fact]
    public async Task Pairs_image_and_ply_by_name_in_order_with_content_ids()
    {
        var head = await new SyntheticHeadSource(Options.Create(new SyntheticSourceOptions { PhotoSize = 64 })).ProduceAsync(3, 0, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "b.jpg"), head.FacePhoto, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "b.ply"), head.MeshPly, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "a.png"), head.FacePhoto, TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "a.ply"), head.MeshPly[..^1], TestContext.Current.CancellationToken);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "lonely.ply"), head.MeshPly, TestContext.Current.CancellationToken);

        var source = Source();
        Assert.Equal(["a.png", "b.jpg"], source.Pairs().Select(p => Path.GetFileName(p.Image)));
        var a = await source.ProduceAsync(0, 0, TestContext.Current.CancellationToken);
        var b = await source.ProduceAsync(0, 1, TestContext.Current.CancellationToken);
        Assert.Equal("image/png", a.FaceContentType);
        Assert.Equal(head.MeshPly, b.MeshPly);
        Assert.StartsWith("dir-", b.HeadId, StringComparison.Ordinal);
        Assert.NotEqual(a.HeadId, b.HeadId);
        Assert.Equal(b.HeadId, (await Source().ProduceAsync(0, 1, TestContext.Current.CancellationToken)).HeadId);
        var beyond = await Assert.ThrowsAsync<HeadSourceException>(() => source.ProduceAsync(0, 2, TestContext.Current.CancellationToken));
        Assert.Contains("2 image + PLY pairs", beyond.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_folder_says_what_to_configure()
    {
        var ex = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => Source("/nonexistent/heads").ProduceAsync(0, 0, TestContext.Current.CancellationToken));
        Assert.Contains("Scraper:Folder:Path", ex.Message, StringComparison.Ordinal);
    }
}
