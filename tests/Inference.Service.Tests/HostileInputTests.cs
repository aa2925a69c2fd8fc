using Heads.Testing;

namespace Inference.Service.Tests;

/// <summary>
/// The inference service over real Kestrel in Development against hostile requests (see <see cref="HostileProbe"/>). No
/// model is loaded (an empty models prefix), so a request that gets past validation meets 503; each case below must be
/// refused before that, for its own reason.
/// </summary>
public sealed class HostileInputTests(HostileInputTests.InferenceOnKestrel fixture)
    : HostileInputSuite<InferenceOptions>(fixture), IClassFixture<HostileInputTests.InferenceOnKestrel>
{
    private const string Predict = "/api/v1/faces/predictions";
    private const string Heads = "/api/v1/heads/random";

    public sealed class InferenceOnKestrel : ServiceOnKestrel<InferenceOptions>
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [
            KeyValuePair.Create("Inference:ModelsPrefix", "hostile-" + Guid.NewGuid().ToString("N")[..8] + "/"),
            KeyValuePair.Create("Inference:SampleFaces", "1"),
            KeyValuePair.Create("Inference:TorchThreads", "1"),
        ];
    }

    public static TheoryData<HostileCase> Cases => HostileProbe.Theory(
    [
        new HostileCase("points beyond int", "GET", Heads + "?points=2147483648", 400),
        new HostileCase("points 1e9", "GET", Heads + "?points=1e9", 400),
        new HostileCase("points NaN", "GET", Heads + "?points=NaN", 400),
        new HostileCase("points abc", "GET", Heads + "?points=abc", 400),
        new HostileCase("points empty", "GET", Heads + "?points=", 400),
        new HostileCase("points repeated", "GET", Heads + "?points=5&points=6", 400),
        new HostileCase("points 0", "GET", Heads + "?points=0", 400),
        new HostileCase("points above the cap", "GET", Heads + "?points=100000000", 400),
        new HostileCase("seed abc", "GET", Heads + "?seed=abc", 400),
        new HostileCase("seed hex", "GET", Heads + "?seed=0x10", 400),
        new HostileCase("seed NaN", "GET", Heads + "?seed=NaN", 400),
        new HostileCase("seed a list", "GET", Heads + "?seed=1,2", 400),
        new HostileCase("seed repeated", "GET", Heads + "?seed=1&seed=2", 400),
        new HostileCase("seed negative", "GET", Heads + "?seed=-1", 400),
        new HostileCase("seed fractional above one", "GET", Heads + "?seed=1.5", 400),
        new HostileCase("seed beyond 2^64", "GET", Heads + "?seed=18446744073709551616", 400),
        new HostileCase("seed 1e300", "GET", Heads + "?seed=1e300", 400),
        new HostileCase("unknown precision", "GET", Heads + "?precision=fp8", 400),
        new HostileCase("unknown format", "GET", Heads + "?format=obj", 400),
        new HostileCase("threshold NaN", "POST", Predict + "?threshold=NaN", 400, "image/png", "x"),
        new HostileCase("threshold beyond int", "POST", Predict + "?threshold=99999999999", 400, "image/png", "x"),
        new HostileCase("threshold abc", "POST", Predict + "?threshold=abc", 400, "image/png", "x"),
        new HostileCase("multipart without its closing boundary", "POST", Predict, 400, "multipart/form-data; boundary=XyZ",
            "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"f.png\"\r\nContent-Type: image/png\r\n\r\n\u0089PNG\r\n"),
        new HostileCase("multipart without a boundary", "POST", Predict, 400, "multipart/form-data", "--a\r\n\r\n"),
        new HostileCase("not an image", "POST", Predict, 400, "image/png", "this is not a PNG"),
        new HostileCase("empty upload", "POST", Predict, 400, "image/png", ""),
        new HostileCase("JSON instead of an image", "POST", Predict, 415, "application/json", "{\"image\":1}"),
        new HostileCase("unknown model id", "GET", "/api/v1/models/" + Guid.NewGuid() + "/gallery.png", 404),
        new HostileCase("model id not a guid", "GET", "/api/v1/models/not-a-guid/gallery.png", 404),
        new HostileCase("pin an unknown family", "POST", "/api/v1/models/pins/bogus/newest", 404),
        new HostileCase("unknown sample face", "GET", "/api/v1/samples/../../etc/passwd.jpg", 404),
        new HostileCase("unknown route", "GET", "/api/v1/nothing-here", 404),
        new HostileCase("PUT on predictions", "PUT", Predict, 405, "image/png", "x"),
        new HostileCase("GET on predictions", "GET", Predict, 405),
        new HostileCase("threshold 0", "POST", Predict + "?threshold=0", 400, "image/png", "x"),
        new HostileCase("threshold 256", "POST", Predict + "?threshold=256", 400, "image/png", "x"),
        new HostileCase("format empty", "GET", Heads + "?format=", 400),
        new HostileCase("unknown prediction format", "POST", Predict + "?format=stl", 400, "image/png", "x"),
        new HostileCase("a truncated PNG", "POST", Predict, 400, "image/png", "\u0089PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR\u0000\u0000\u0000 \u0000\u0000\u0000 \b\u0002\u0000\u0000\u0000"),
        new HostileCase("model repeated", "GET", Heads + "?model=a&model=b", 400),
    ]);

    [Fact]
    public async Task A_threshold_that_does_not_bind_is_named_with_its_bound_and_value()
    {
        var ct = TestContext.Current.CancellationToken;
        using var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        using var response = await Service.Http.PostAsync(Predict + "?threshold=NaN", content, ct);
        await HostileProbe.AssertProblemAsync(response, 400, "threshold=NaN");
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement;
        Assert.Equal("threshold must be a whole number from 1 to 255; it was 'NaN'.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_documented_point_bound_is_the_configured_cap() =>
        Assert.Equal(("1", "1000000"), await RouteSweep.BoundsAsync(Service.Http, "GET", Heads, "points", TestContext.Current.CancellationToken));

    protected override string GoodPath => "/api/v1/models";

    protected override (string Path, string ContentType, byte[] Body) BodyEndpoint =>
        (Predict, "image/png", new byte[4000]);
}
