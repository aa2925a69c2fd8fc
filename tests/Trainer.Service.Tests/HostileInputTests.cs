using System.Text;
using Heads.Testing;

namespace Trainer.Service.Tests;

/// <summary>
/// The trainer over real Kestrel in Development against hostile requests: every one is answered with the right 4xx as
/// ProblemDetails (trace id, no stack trace, no echoed header), and the service is healthy and answering afterwards.
/// </summary>
public sealed class HostileInputTests(HostileInputTests.TrainerOnKestrel fixture)
    : HostileInputSuite<Program>(fixture), IClassFixture<HostileInputTests.TrainerOnKestrel>
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
        new HostileCase("unknown optimizer", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"optimizer\":\"lbfgs\"}"),
        new HostileCase("unknown loss", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"loss\":\"hinge\"}"),
        new HostileCase("encoding on a face model", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"encoding\":\"Original\"}"),
        new HostileCase("shard size on FaceNet3", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"shardSize\":2048}"),
        new HostileCase("seed beyond int", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"seed\":4294967296}"),
        new HostileCase("prune flag a string", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet2\",\"datasetId\":\"d\",\"pruneConstantVoxels\":\"yes\"}"),
        new HostileCase("trailing bytes after the JSON", "POST", Jobs, 400, Json, "{\"model\":\"FaceNet3\",\"datasetId\":\"d\"} trailing"),
        new HostileCase("limit empty", "GET", Jobs + "?limit=", 400),
    ]);

    /// <summary>One trainer for all the cases, started once and healthy before the first.</summary>
    public sealed class TrainerOnKestrel : ServiceOnKestrel<Program>
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [
            KeyValuePair.Create("Trainer:ReplicaName", "hostile-" + Guid.NewGuid().ToString("N")[..6]),
            KeyValuePair.Create("Trainer:TorchThreads", "1"),
        ];
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("99999999999")]
    [InlineData("1.5")]
    public async Task A_query_value_that_does_not_bind_is_named_with_its_bound_and_value(string value)
    {
        var ct = TestContext.Current.CancellationToken;
        using var response = await Service.Http.GetAsync(Jobs + "?limit=" + value, ct);
        await HostileProbe.AssertProblemAsync(response, 400, "limit=" + value);
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal($"limit must be a whole number from 1 to 500; it was '{value}'.", problem.GetProperty("detail").GetString());
    }

    protected override string GoodPath => Jobs + "?limit=5";

    protected override (string Path, string ContentType, byte[] Body) BodyEndpoint =>
        (Jobs, Json, Encoding.UTF8.GetBytes("{\"model\":\"FaceNet3\",\"datasetId\":\"d\",\"optimizer\":\"" + new string('a', 3000) + "\"}"));
}
