namespace Inference.Service.Tests;

/// <summary>Every refusal of the prediction endpoint is problem details with the right status.</summary>
public sealed partial class ServingTests
{
    private const string Url = "/api/v1/faces/predictions";

    [Fact]
    public async Task Undecodable_images_are_400()
    {
        var garbage = "this is not a PNG at all, just text pretending"u8.ToArray();
        var raw = await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw(garbage, "image/png")), 400);
        Assert.Equal("Undecodable image", raw.Title);
        var truncated = await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Multipart(Http.TestFacePhoto[..200], "image/jpeg")), 400);
        Assert.Equal("Undecodable image", truncated.Title);
        var empty = await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw([], "image/jpeg")), 400);
        Assert.Contains("empty", empty.Detail);
    }

    [Fact]
    public async Task A_form_without_the_image_field_is_400_and_names_what_it_has()
    {
        var problem = await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Multipart(Http.TestFacePhoto, "image/jpeg", field: "photo")), 400);
        Assert.Equal("No image", problem.Title);
        Assert.Contains("'photo'", problem.Detail);
    }

    [Fact]
    public async Task Uploads_over_8_MiB_are_413_raw_and_multipart()
    {
        var tooBig = new byte[(8 << 20) + 1];
        Http.TestFacePhoto.CopyTo(tooBig, 0);
        var raw = await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw(tooBig, "image/jpeg")), 413);
        Assert.Contains("8,388,608", raw.Detail);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Multipart(tooBig, "image/jpeg")), 413);
        // Exactly at the limit is accepted (and then judged as an image).
        var atLimit = await Http.PostAsync(host.Client, Url, Http.Raw(tooBig[..(8 << 20)], "image/jpeg"));
        Assert.NotEqual(413, (int)atLimit.StatusCode);
    }

    [Fact]
    public async Task Unsupported_media_types_are_415()
    {
        await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw(Http.TestFacePhoto, "text/plain")), 415);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw(Http.TestFacePhoto, "image/tiff")), 415);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw(Http.TestFacePhoto, null)), 415);
        var part = await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Multipart(Http.TestFacePhoto, "application/pdf")), 415);
        Assert.Contains("application/pdf", part.Detail);
    }

    [Fact]
    public async Task Unknown_models_are_404()
    {
        var unknownJob = await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?model={Guid.NewGuid()}", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 404);
        Assert.Equal("Unknown model", unknownJob.Title);
        var unknownName = await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?model=facenet9", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 404);
        Assert.Contains("facenet9", unknownName.Detail);
        var broken = await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?model={host.BrokenJob}", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 404);
        Assert.Contains("not served", broken.Detail);
    }

    [Fact]
    public async Task Wrong_model_family_format_and_threshold_are_400_and_unproducible_accept_is_406()
    {
        var heads = await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?model=headsnet", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 400);
        Assert.Contains("/api/v1/heads/random", heads.Detail);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?model={host.HeadsNetJob}", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 400);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?format=xml", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 400);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, $"{Url}?format=ply&threshold=0", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 400);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, Url, Http.Raw(Http.TestFacePhoto, "image/jpeg"), accept: "text/html"), 406);
    }
}

/// <summary>A smaller configured upload limit is honoured.</summary>
[Collection(ServiceCollection.Name)]
public sealed class UploadLimitTests(SmallUploadHost host) : IClassFixture<SmallUploadHost>
{
    [Fact]
    public async Task The_configured_limit_applies_to_raw_and_multipart_bodies()
    {
        var raw = await Http.ProblemAsync(await Http.PostAsync(host.Client, "/api/v1/faces/predictions", Http.Raw(Http.TestFacePhoto, "image/jpeg")), 413);
        Assert.Contains("100,000", raw.Detail);
        await Http.ProblemAsync(await Http.PostAsync(host.Client, "/api/v1/faces/predictions", Http.Multipart(Http.TestFacePhoto, "image/jpeg")), 413);
        var small = Http.Png(new byte[1024]);
        var accepted = await Http.PostAsync(host.Client, "/api/v1/faces/predictions?format=raw", Http.Raw(small, "image/png"));
        Assert.Equal(System.Net.HttpStatusCode.OK, accepted.StatusCode);
    }
}

public sealed class SmallUploadHost(Heads.Testing.RealInfrastructure infrastructure) : InferenceHost(infrastructure)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Inference:MaxImageBytes"] = "100000" };

    protected override Task StoreModelsAsync(CancellationToken ct)
    {
        using var model = ModelJobs.FaceNet(Heads.Core.Contracts.TrainingModel.FaceNet1, seed: 9, radius: 8);
        return ModelJobs.WriteAsync(Models, Prefix, Guid.NewGuid(), Heads.Core.Contracts.TrainingModel.FaceNet1, model, DateTimeOffset.UtcNow, null, ct);
    }
}
