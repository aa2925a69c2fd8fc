using System.Text;
using Heads.Testing;

namespace Dataset.Service.Tests;

/// <summary>The dataset service over real Kestrel in Development against hostile requests (see <see cref="HostileProbe"/>).</summary>
public sealed class HostileInputTests(HostileInputTests.DatasetOnKestrel fixture)
    : HostileInputSuite<Program>(fixture), IClassFixture<HostileInputTests.DatasetOnKestrel>
{
    private const string Datasets = "/api/v1/datasets";
    private const string Heads = "/api/v1/heads";
    private const string Json = "application/json";

    public sealed class DatasetOnKestrel : ServiceOnKestrel<Program>
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings =>
            [KeyValuePair.Create("Dataset:ImportRoot", Directory.CreateTempSubdirectory("heads-hostile-imports-").FullName)];
    }

    public static TheoryData<HostileCase> Cases => HostileProbe.Theory(
    [
        new HostileCase("JSON cut short", "POST", Datasets, 400, Json, "{\"kind\":"),
        new HostileCase("not JSON", "POST", Datasets, 400, Json, "kind=FaceNet"),
        new HostileCase("empty JSON body", "POST", Datasets, 400, Json, ""),
        new HostileCase("JSON array", "POST", Datasets, 400, Json, "[1]"),
        new HostileCase("kind unknown", "POST", Datasets, 400, Json, "{\"kind\":\"Audio\"}"),
        new HostileCase("kind a number", "POST", Datasets, 400, Json, "{\"kind\":99}"),
        new HostileCase("limit a string", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"limit\":\"all\"}"),
        new HostileCase("limit beyond int", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"limit\":2147483648}"),
        new HostileCase("limit negative", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"limit\":-1}"),
        new HostileCase("held-out fraction 1", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"heldOutFraction\":1}"),
        new HostileCase("held-out fraction NaN string", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"heldOutFraction\":\"NaN\"}"),
        new HostileCase("dataset id with a path", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"datasetId\":\"../x\"}"),
        new HostileCase("import outside the import root", "POST", Datasets + "/imports", 400, Json, "{\"directory\":\"/etc\"}"),
        new HostileCase("import: not JSON", "POST", Datasets + "/imports", 400, Json, "{"),
        new HostileCase("JSON nested 5000 deep", "POST", Datasets, 400, Json, new string('[', 5000) + new string(']', 5000)),
        new HostileCase("form body", "POST", Datasets, 415, "application/x-www-form-urlencoded", "kind=FaceNet"),
        new HostileCase("no content type", "POST", Datasets, 415, null, "{}"),
        new HostileCase("list: limit abc", "GET", Datasets + "?limit=abc", 400),
        new HostileCase("list: offset beyond int", "GET", Datasets + "?offset=99999999999", 400),
        new HostileCase("list: limit 0", "GET", Datasets + "?limit=0", 400),
        new HostileCase("list: offset negative", "GET", Datasets + "?offset=-1", 400),
        new HostileCase("heads: limit abc", "GET", Heads + "?limit=abc", 400),
        new HostileCase("heads: offset beyond int", "GET", Heads + "?offset=99999999999", 400),
        new HostileCase("rejected heads: limit repeated", "GET", Heads + "/rejected?limit=1&limit=2", 400),
        new HostileCase("dataset id with capitals and dots", "GET", Datasets + "/..Bad..", 400),
        new HostileCase("unknown dataset", "GET", Datasets + "/no-such-dataset", 404),
        new HostileCase("file of an unknown dataset", "GET", Datasets + "/no-such-dataset/files/train_x.dat", 404),
        new HostileCase("head id with a path", "GET", Heads + "/..%2Fsecret", 400),
        new HostileCase("unknown head", "GET", Heads + "/no-such-head", 404),
        new HostileCase("unknown route", "GET", "/api/v1/nothing-here", 404),
        new HostileCase("PUT on datasets", "PUT", Datasets, 405, Json, "{}"),
        new HostileCase("DELETE on heads", "DELETE", Heads, 405),
        new HostileCase("held-out fraction negative", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\",\"heldOutFraction\":-0.1}"),
        new HostileCase("kind empty", "POST", Datasets, 400, Json, "{\"kind\":\"\"}"),
        new HostileCase("trailing bytes after the JSON", "POST", Datasets, 400, Json, "{\"kind\":\"FaceNet\"}]"),
        new HostileCase("file name with a path", "GET", Datasets + "/no-such-dataset/files/..%2F..%2Fmanifest.json", 404),
        new HostileCase("heads: prefix repeated", "GET", Heads + "?prefix=a&prefix=b", 400),
    ]);

    protected override string GoodPath => Datasets;

    protected override (string Path, string ContentType, byte[] Body) BodyEndpoint =>
        (Datasets, Json, Encoding.UTF8.GetBytes("{\"kind\":\"FaceNet\",\"headIdPrefix\":\"" + new string('h', 3000) + "\"}"));
}
