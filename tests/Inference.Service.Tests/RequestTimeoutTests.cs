using System.Net;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Inference.Service.Tests;

/// <summary>Request timeouts: a client that stalls mid-upload is cut off with a 504 and the service carries on.</summary>
[Collection(ServiceCollection.Name)]
public sealed class RequestTimeoutTests(ShortTimeoutHost host) : IClassFixture<ShortTimeoutHost>
{
    [Fact]
    public async Task A_stalled_upload_is_answered_504_problem_details_within_the_timeout()
    {
        // Had the server waited for the whole body it would answer 200 with a prediction. The test client's redirect
        // handler buffers uploads, so a plain client sends this one; HTTP/1.1 clients read the answer only once their
        // upload ends, so the 504 itself is the proof, not the client's clock.
        using var direct = host.Factory.CreateDefaultClient(host.Client.BaseAddress!);
        var response = await Http.PostAsync(direct, "/api/v1/faces/predictions?format=raw", new Heads.Testing.StalledUpload(Http.TestFacePhoto, TimeSpan.FromSeconds(5)));
        var problem = await Http.ProblemAsync(response, 504);
        Assert.Equal("Request timed out", problem.Title);
        Assert.Contains("Heads:RequestTimeouts", problem.Detail);

        var health = await host.Client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var quick = await Http.PostAsync(host.Client, "/api/v1/faces/predictions?format=raw", Http.Raw(Http.TestFacePhoto, "image/jpeg"));
        Assert.Equal(HttpStatusCode.OK, quick.StatusCode);
    }

    [Fact]
    public void Every_endpoint_has_a_timeout_and_only_the_rescans_a_long_one()
    {
        var options = host.Factory.Services.GetRequiredService<IOptions<RequestTimeoutOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(2), options.DefaultPolicy!.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Policies[HeadsRequestTimeouts.Long].Timeout);
        var endpoints = host.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.NotEmpty(endpoints);
        Assert.DoesNotContain(endpoints, e => e.Metadata.GetMetadata<DisableRequestTimeoutAttribute>() is not null);
        var longOnes = endpoints.Where(e => e.Metadata.GetMetadata<RequestTimeoutAttribute>()?.PolicyName == HeadsRequestTimeouts.Long)
            .Select(e => e.RoutePattern.RawText).ToList();
        // Pinning rescans storage like a reload, so it may load a model too.
        Assert.Equal(["/api/v1/models/reload", "/api/v1/models/{jobId:guid}/pin", "/api/v1/models/pins/{family}/newest", "/api/v1/models/pins/{family}"], longOnes);
    }
}

public sealed class ShortTimeoutHost(Heads.Testing.RealInfrastructure infrastructure) : InferenceHost(infrastructure)
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["Heads:RequestTimeouts:Default"] = "00:00:02" };

    // A real socket and a real Kestrel, as a slow client meets them.
    protected override bool UsesKestrel => true;

    protected override Task StoreModelsAsync(CancellationToken ct)
    {
        using var model = ModelJobs.FaceNet(Heads.Core.Contracts.TrainingModel.FaceNet1, seed: 6, radius: 9);
        return ModelJobs.WriteAsync(Models, Prefix, Guid.NewGuid(), Heads.Core.Contracts.TrainingModel.FaceNet1, model, DateTimeOffset.UtcNow, null, ct);
    }
}
