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
    public async Task Every_endpoint_and_the_infrastructure_bind_to_loopback_only()
    {
        var model = await BuildModelAsync();
        var endpoints = model.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>().Select(e => (r.Name, e))).ToList();
        Assert.Contains(endpoints, e => e.Name == "rabbitmq");
        Assert.Contains(endpoints, e => e.Name == "blobs");
        foreach (var name in Services) Assert.Contains(endpoints, e => e.Name == name);
        foreach (var (resource, endpoint) in endpoints)
            Assert.True(endpoint.TargetHost is "127.0.0.1" or "localhost", $"{resource}/{endpoint.Name} binds {endpoint.TargetHost}");

        var rabbit = model.Resources.Single(r => r.Name == "rabbitmq");
        var environment = new Dictionary<string, object>();
        foreach (var callback in rabbit.Annotations.OfType<EnvironmentCallbackAnnotation>())
            await callback.Callback(new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), environment));
        Assert.Equal("127.0.0.1", environment["RABBITMQ_NODE_IP_ADDRESS"]);
        Assert.Equal("127.0.0.1", environment["ERL_EPMD_ADDRESS"]);
        Assert.Contains("{127,0,0,1}", environment["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"].ToString());

        var blobArgs = await ArgumentsOf(model.Resources.Single(r => r.Name == "blobs"));
        Assert.Equal("127.0.0.1", blobArgs[blobArgs.IndexOf("--blobHost") + 1]);
        var epmdArgs = await ArgumentsOf(model.Resources.Single(r => r.Name == "epmd"));
        Assert.Equal("127.0.0.1", epmdArgs[epmdArgs.IndexOf("-address") + 1]);
    }

    [Theory]
    [InlineData("0.0.0.0", "never listens on every interface")]
    [InlineData("127.0.0.1", "not loopback")]
    [InlineData("192.0.2.77", "is not an address of this machine")]
    [InlineData("somewhere", "must be an IPv4 address")]
    public async Task Shared_mode_refuses_an_address_other_machines_cannot_use_or_that_is_not_this_one(string address, string reason)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => BuildModelAsync($"--Heads:Shared:Address={address}"));
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException) messages.Add(e.Message);
        Assert.Contains(messages, m => m.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Infrastructure_ports_lie_below_the_ephemeral_range()
    {
        // A port-0 port is an ephemeral one, which another process's outgoing connection can take before the broker or
        // Azurite binds it (CI saw Azurite fail with EADDRINUSE); ports below the range are never handed out that way.
        int floor = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture);
        for (int run = 0; run < 3; run++)
        {
            var model = await BuildModelAsync();
            var rabbit = model.Resources.Single(r => r.Name == "rabbitmq");
            var environment = new Dictionary<string, object>();
            foreach (var callback in rabbit.Annotations.OfType<EnvironmentCallbackAnnotation>())
                await callback.Callback(new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), environment));
            var blobArgs = await ArgumentsOf(model.Resources.Single(r => r.Name == "blobs"));
            var epmdArgs = await ArgumentsOf(model.Resources.Single(r => r.Name == "epmd"));
            var ports = new Dictionary<string, int>
            {
                ["amqp"] = int.Parse(environment["RABBITMQ_NODE_PORT"].ToString()!, System.Globalization.CultureInfo.InvariantCulture),
                ["distribution"] = int.Parse(environment["RABBITMQ_DIST_PORT"].ToString()!, System.Globalization.CultureInfo.InvariantCulture),
                ["blob"] = int.Parse(blobArgs[blobArgs.IndexOf("--blobPort") + 1], System.Globalization.CultureInfo.InvariantCulture),
                ["epmd"] = int.Parse(epmdArgs[epmdArgs.IndexOf("-port") + 1], System.Globalization.CultureInfo.InvariantCulture),
            };
            foreach (var (name, port) in ports) Assert.InRange(port, 1024, floor - 1);
            Assert.Equal(ports.Count, ports.Values.Distinct().Count());
        }
    }

    private static async Task<List<string>> ArgumentsOf(IResource resource)
    {
        var args = new List<object>();
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
            await callback.Callback(new CommandLineArgsCallbackContext(args));
        return args.Select(a => a.ToString()!).ToList();
    }

    [Fact]
    public async Task Unknown_infrastructure_mode_is_refused_with_its_name()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => BuildModelAsync("--Heads:Infrastructure=cloud"));
        Assert.Contains("cloud", ex.ToString(), StringComparison.Ordinal);
    }
}
