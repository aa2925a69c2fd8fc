using Inference.Service.Apis;

namespace Inference.Service.Tests;

/// <summary>A service with nothing trained yet says so, and how to train.</summary>
[Collection(ServiceCollection.Name)]
public sealed class EmptyStoreTests(EmptyHost host) : IClassFixture<EmptyHost>
{
    [Theory]
    [InlineData("")]
    [InlineData("?model=facenet2")]
    public async Task Predictions_are_503_with_how_to_train(string query)
    {
        var problem = await Http.ProblemAsync(await Http.PostAsync(host.Client, "/api/v1/faces/predictions" + query, Http.Raw(Http.TestFacePhoto, "image/jpeg")), 503);
        Assert.Contains("POST /api/v1/training-jobs", problem.Detail);
    }

    [Fact]
    public async Task Heads_are_503_and_the_list_is_empty()
    {
        var problem = await Http.ProblemAsync(await host.Client.GetAsync("/api/v1/heads/random", TestContext.Current.CancellationToken), 503);
        Assert.Contains("HeadsNet", problem.Detail);
        var models = await Http.ReadAsync<ModelsResponse>(await host.Client.GetAsync("/api/v1/models", TestContext.Current.CancellationToken));
        Assert.Empty(models.Models);
        Assert.NotNull(models.ScannedAt);
    }
}

public sealed class EmptyHost(Heads.Testing.RealInfrastructure infrastructure) : InferenceHost(infrastructure);
