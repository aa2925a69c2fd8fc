using System.Net;

namespace Inference.Service.Tests;

public sealed partial class ServingTests
{
    [Fact]
    public async Task A_served_jobs_stored_picture_is_answered_as_png()
    {
        var response = await host.Client.GetAsync($"/api/v1/models/{host.FaceNet3Job}/losses.png", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(host.FaceNet3Losses, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.NotNull(response.Content.Headers.LastModified);
    }

    [Fact]
    public async Task A_missing_picture_or_an_unserved_job_is_a_404_problem()
    {
        var absent = await Http.ProblemAsync(await host.Client.GetAsync($"/api/v1/models/{host.FaceNet3Job}/gallery.png", TestContext.Current.CancellationToken), 404);
        Assert.Equal("No picture", absent.Title);
        Assert.Contains("gallery.png", absent.Detail);

        var unserved = await Http.ProblemAsync(await host.Client.GetAsync($"/api/v1/models/{Guid.NewGuid()}/losses.png", TestContext.Current.CancellationToken), 404);
        Assert.Equal("Model not served", unserved.Title);
        // The broken job's manifest is stored but it is not served: its pictures are not either.
        var broken = await Http.ProblemAsync(await host.Client.GetAsync($"/api/v1/models/{host.BrokenJob}/gallery.png", TestContext.Current.CancellationToken), 404);
        Assert.Equal("Model not served", broken.Title);

        // Not a job id: the route does not match at all (no blob name is ever built from it).
        var notGuid = await host.Client.GetAsync("/api/v1/models/..%2F..%2Fsecret/gallery.png", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, notGuid.StatusCode);
    }

    [Fact]
    public async Task A_picture_over_the_cap_is_refused_without_being_served()
    {
        var problem = await Http.ProblemAsync(await host.Client.GetAsync($"/api/v1/models/{host.FaceNet2Job}/gallery.png", TestContext.Current.CancellationToken), 502);
        Assert.Equal("Picture too large", problem.Title);
    }
}
