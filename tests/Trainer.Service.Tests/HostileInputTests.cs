using System.Text;
using Heads.Testing;

namespace Trainer.Service.Tests;

/// <summary>
/// The trainer over real Kestrel in Development against hostile requests: every one is answered with the right 4xx as
/// ProblemDetails (trace id, no stack trace, no echoed header), and the service is healthy and answering afterwards.
/// </summary>
public sealed class HostileInputTests(HostileInputTests.TrainerOnKestrel fixture) : IClassFixture<HostileInputTests.TrainerOnKestrel>
{
    private const string Jobs = "/api/v1/training-jobs";
    private const string Json = "application/json";

    public static TheoryData<HostileCase> Cases => HostileProbe.Theory(
    [
        new HostileCase("JSON cut short", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\","),
        new HostileCase("not JSON", "POST", Jobs, 400, Json, "model=FaceNet3"),
        new HostileCase("empty JSON body", "POST", Jobs, 400, Json, ""),
        new HostileCase("JSON array", "POST", Jobs, 400, Json, "[1,2]"),
        new HostileCase("epochs a string", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"epochs\":\"abc\"}"),
        new HostileCase("epochs beyond int", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"epochs\":2147483648}"),
        new HostileCase("epochs 1e9", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"epochs\":1e9}"),
        new HostileCase("epochs int max", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"epochs\":2147483647}"),
        new HostileCase("batch size int max", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"batchSize\":2147483647}"),
        new HostileCase("batch size 0", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"batchSize\":0}"),
        new HostileCase("sample limit int max", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"sampleLimit\":2147483647}"),
        new HostileCase("learning rate 1e9", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"learningRate\":1e9}"),
        new HostileCase("learning rate negative", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"learningRate\":-1}"),
        new HostileCase("learning rate a string NaN", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"learningRate\":\"NaN\"}"),
        new HostileCase("shard size 1", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet2\",\"datasetId\":\"d\",\"shardSize\":1}"),
        new HostileCase("shard size beyond the volume", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet2\",\"datasetId\":\"d\",\"shardSize\":40000}"),
        new HostileCase("unknown model", "POST", Jobs, 400, Json, "{\"model\":\"ResNet\",\"datasetId\":\"d\"}"),
        new HostileCase("model as a number", "POST", Jobs, 400, Json, "{\"model\":\"3\",\"datasetId\":\"d\"}"),
        new HostileCase("dataset id with a path", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"../../etc\"}"),
        new HostileCase("JSON nested 5000 deep", "POST", Jobs, 400, Json, new string('[', 5000) + new string(']', 5000)),
        new HostileCase("form body", "POST", Jobs, 415, "application/x-www-form-urlencoded", "model=FaceNet3"),
        new HostileCase("text body", "POST", Jobs, 415, "text/plain", "FaceNet3"),
        new HostileCase("no content type", "POST", Jobs, 415, null, "{}"),
        new HostileCase("limit not a number", "GET", Jobs + "?limit=abc", 400),
        new HostileCase("limit beyond int", "GET", Jobs + "?limit=99999999999", 400),
        new HostileCase("limit 0", "GET", Jobs + "?limit=0", 400),
        new HostileCase("limit repeated", "GET", Jobs + "?limit=1&limit=2", 400),
        new HostileCase("job id not a guid", "GET", Jobs + "/not-a-guid", 404),
        new HostileCase("unknown job", "GET", Jobs + "/" + Guid.Empty, 404),
        new HostileCase("cancel an unknown job", "DELETE", Jobs + "/" + Guid.NewGuid(), 404),
        new HostileCase("unknown route", "GET", "/api/v1/nothing-here", 404),
        new HostileCase("PUT on the collection", "PUT", Jobs, 405, Json, "{}"),
        new HostileCase("latest dataset: unknown model", "POST", Jobs + "/latest-dataset", 400, Json, "{\"model\":\"lbfgs\"}"),
        new HostileCase("latest dataset: not JSON", "POST", Jobs + "/latest-dataset", 400, Json, "{"),
    ]);

    /// <summary>One trainer for all the cases, started once and healthy before the first.</summary>
    public sealed class TrainerOnKestrel(RealInfrastructure infrastructure) : IAsyncLifetime
    {
        public KestrelService<Program> Service { get; private set; } = null!;

        public async ValueTask InitializeAsync()
        {
            var settings = new Dictionary<string, string>(infrastructure.ConnectionStrings.Select(p => KeyValuePair.Create(p.Key, p.Value!)))
            {
                ["Trainer:ReplicaName"] = "hostile-" + Guid.NewGuid().ToString("N")[..6],
                ["Trainer:TorchThreads"] = "1",
                ["Heads:RequestTimeouts:Body"] = "00:00:02",
                ["Logging:LogLevel:Default"] = "Warning",
            };
            Service = new KestrelService<Program>(settings);
            await Service.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        }

        public async ValueTask DisposeAsync() => await Service.DisposeAsync();
    }

    private KestrelService<Program> Service => fixture.Service;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_hostile_request_gets_its_problem_and_the_service_goes_on(HostileCase hostile)
    {
        var ct = TestContext.Current.CancellationToken;
        using (var response = await HostileProbe.SendAsync(Service.Http, hostile, ct))
            await HostileProbe.AssertProblemAsync(response, hostile.Status, hostile.Name);
        await AssertHealthyAsync(ct);
    }

    [Fact]
    public async Task A_body_trickled_past_the_deadline_gets_408()
    {
        var ct = TestContext.Current.CancellationToken;
        var body = Encoding.UTF8.GetBytes("{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"optimizer\":\"" + new string('a', 3000) + "\"}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // 400 B/s is above Kestrel's minimum data rate (240 B/s): only the body deadline (2 s here) stops it.
        var (status, type, text) = await HostileProbe.RawAsync(Service.Address,
            $"POST {Jobs} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: {Json}\nContent-Length: {body.Length}\n{HostileProbe.SentinelHeader}: {HostileProbe.SentinelValue}\n", body, bytesPerSecond: 400, ct: ct);
        HostileProbe.AssertProblemBody(type, text, 408, "trickled JSON");
        Assert.Equal(408, status);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 6);
        await AssertHealthyAsync(ct);
    }

    [Fact]
    public async Task A_client_that_stops_sending_gets_408()
    {
        var ct = TestContext.Current.CancellationToken;
        // Content-Length promises 500 bytes; 9 arrive, then nothing.
        var (status, type, text) = await HostileProbe.RawAsync(Service.Address,
            $"POST {Jobs} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: {Json}\nContent-Length: 500\n", Encoding.UTF8.GetBytes("{\"model\":"), ct: ct);
        Assert.True(status == 408, $"stalled body: {status} {text}");
        HostileProbe.AssertProblemBody(type, text, 408, "stalled body");
        await AssertHealthyAsync(ct);
    }

    private async Task AssertHealthyAsync(CancellationToken ct)
    {
        using var health = await Service.Http.GetAsync("/health", ct);
        Assert.True(health.StatusCode == System.Net.HttpStatusCode.OK, $"/health: {(int)health.StatusCode} {await health.Content.ReadAsStringAsync(ct)}");
        using var list = await Service.Http.GetAsync(Jobs + "?limit=5", ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, list.StatusCode);
    }
}
