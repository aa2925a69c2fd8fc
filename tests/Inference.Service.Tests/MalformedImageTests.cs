using System.Net;
using Heads.Testing.Malformed;

namespace Inference.Service.Tests;

/// <summary>
/// The malformed-image corpus through the real prediction endpoint, as a raw body and as a multipart field: each gets
/// its 4xx problem details naming the problem (or a prediction, for the odd but valid ones), and the service stays healthy.
/// </summary>
[Collection(ServiceCollection.Name)]
public sealed class MalformedImageTests(CorpusHost host) : IClassFixture<CorpusHost>
{
    private const string Url = "/api/v1/faces/predictions?format=raw";

    public static TheoryData<string> Images => [.. MalformedImages.All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Images))]
    public async Task Each_image_gets_its_status_and_reason_raw_and_multipart(string name)
    {
        var image = MalformedImages.Get(name);
        foreach (var content in new[] { Http.Raw(image.Bytes, image.ContentType), Http.Multipart(image.Bytes, image.ContentType) })
        {
            var response = await Http.PostAsync(host.Client, Url, content);
            if (image.HttpStatus == 200)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
                Assert.Equal(32 * 32 * 32, (await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken)).Length);
                continue;
            }
            var problem = await Http.ProblemAsync(response, image.HttpStatus);
            if (image.HttpStatus == 415) Assert.Contains(image.ContentType, problem.Detail);
            else Assert.Contains(image.Reason, problem.Detail, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task After_the_whole_corpus_the_service_is_healthy_and_still_predicts()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var image in MalformedImages.All)
            (await Http.PostAsync(host.Client, Url, Http.Raw(image.Bytes, image.ContentType))).Dispose();
        var health = await host.Client.GetAsync("/health", ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var face = await Http.PostAsync(host.Client, Url, Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, face.StatusCode);
        Assert.Equal(32 * 32 * 32, (await face.Content.ReadAsByteArrayAsync(ct)).Length);
    }
}

/// <summary>A host serving one small FaceNet1, so odd-but-valid images get a real prediction.</summary>
public sealed class CorpusHost(Heads.Testing.RealInfrastructure infrastructure) : InferenceHost(infrastructure)
{
    protected override Task StoreModelsAsync(CancellationToken ct)
    {
        using var model = ModelJobs.FaceNet(Heads.Core.Contracts.TrainingModel.FaceNet1, seed: 4, radius: 9);
        return ModelJobs.WriteAsync(Models, Prefix, Guid.NewGuid(), Heads.Core.Contracts.TrainingModel.FaceNet1, model, DateTimeOffset.UtcNow, null, ct);
    }
}
