namespace Heads.AppHost.Tests;

/// <summary>The AppHost's resource graph, checked without starting anything.</summary>
public class AppModelTests
{
    private static readonly string[] Services = ["scraper", "dataset", "trainer", "inference"];

    private static async Task<DistributedApplicationModel> BuildModelAsync(params string[] args)
    {
        var state = Path.Combine(Path.GetTempPath(), "heads-model-" + Guid.NewGuid().ToString("N"));
        try
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Heads_AppHost>(
                [$"--Heads:StateDirectory={state}", .. args], TestContext.Current.CancellationToken);
            var app = await builder.BuildAsync(TestContext.Current.CancellationToken);
            await using (app)
                return app.Services.GetRequiredService<DistributedApplicationModel>();
        }
        finally
        {
            if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task Infrastructure_runs_as_executables_with_connection_strings()
    {
        var model = await BuildModelAsync();
        var rabbit = Assert.IsAssignableFrom<ExecutableResource>(model.Resources.Single(r => r.Name == "rabbitmq"));
        var blobs = Assert.IsAssignableFrom<ExecutableResource>(model.Resources.Single(r => r.Name == "blobs"));
        Assert.IsAssignableFrom<IResourceWithConnectionString>(rabbit);
        Assert.IsAssignableFrom<IResourceWithConnectionString>(blobs);
        Assert.Equal("/usr/lib/rabbitmq/bin/rabbitmq-server", rabbit.Command);
        Assert.EndsWith("azurite-blob", blobs.Command, StringComparison.Ordinal);
        Assert.Contains(model.Resources, r => r.Name == "epmd");
        Assert.True(rabbit.TryGetAnnotationsOfType<HealthCheckAnnotation>(out var checks) && checks.Any());
        Assert.True(blobs.TryGetAnnotationsOfType<HealthCheckAnnotation>(out var blobChecks) && blobChecks.Any());
    }

    [Fact]
    public async Task Every_service_waits_for_broker_and_storage()
    {
        var model = await BuildModelAsync();
        foreach (var name in Services)
        {
            var service = model.Resources.Single(r => r.Name == name);
            Assert.True(service.TryGetAnnotationsOfType<WaitAnnotation>(out var waits), name);
            var waitedFor = waits.Select(w => w.Resource.Name).ToHashSet();
            Assert.Contains("rabbitmq", waitedFor);
            Assert.Contains("blobs", waitedFor);
        }
    }

    [Fact]
    public async Task Trainer_has_two_replicas_by_default_and_configurable()
    {
        var model = await BuildModelAsync();
        Assert.Equal(2, model.Resources.Single(r => r.Name == "trainer").Annotations.OfType<ReplicaAnnotation>().Single().Replicas);

        var three = await BuildModelAsync("--Heads:Trainer:Replicas=3");
        Assert.Equal(3, three.Resources.Single(r => r.Name == "trainer").Annotations.OfType<ReplicaAnnotation>().Single().Replicas);
    }

    [Fact]
    public async Task Unknown_infrastructure_mode_is_refused_with_its_name()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => BuildModelAsync("--Heads:Infrastructure=cloud"));
        Assert.Contains("cloud", ex.ToString(), StringComparison.Ordinal);
    }
}
