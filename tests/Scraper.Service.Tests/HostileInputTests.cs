using System.Text;
using Heads.Testing;

namespace Scraper.Service.Tests;

/// <summary>The scraper over real Kestrel in Development against hostile requests (see <see cref="HostileProbe"/>).</summary>
public sealed class HostileInputTests(HostileInputTests.ScraperOnKestrel fixture)
    : HostileInputSuite<Program>(fixture), IClassFixture<HostileInputTests.ScraperOnKestrel>
{
    private const string Scrapes = "/api/v1/scrapes";
    private const string Json = "application/json";

    public sealed class ScraperOnKestrel : ServiceOnKestrel<Program>
    {
        protected override IEnumerable<KeyValuePair<string, string>> Settings => [KeyValuePair.Create("Scraper:MaxCountPerRequest", "250")];
    }

    public static TheoryData<HostileCase> Cases => HostileProbe.Theory(
    [
        new HostileCase("JSON cut short", "POST", Scrapes, 400, Json, "{\"count\":"),
        new HostileCase("not JSON", "POST", Scrapes, 400, Json, "count=5"),
        new HostileCase("empty JSON body", "POST", Scrapes, 400, Json, ""),
        new HostileCase("JSON array", "POST", Scrapes, 400, Json, "[]"),
        new HostileCase("JSON null", "POST", Scrapes, 400, Json, "null"),
        new HostileCase("count a string", "POST", Scrapes, 400, Json, "{\"count\":\"five\"}"),
        new HostileCase("count beyond int", "POST", Scrapes, 400, Json, "{\"count\":2147483648}"),
        new HostileCase("count fractional", "POST", Scrapes, 400, Json, "{\"count\":1.5}"),
        new HostileCase("count 0", "POST", Scrapes, 400, Json, "{\"count\":0}"),
        new HostileCase("count negative", "POST", Scrapes, 400, Json, "{\"count\":-3}"),
        new HostileCase("count above the cap", "POST", Scrapes, 400, Json, "{\"count\":251}"),
        new HostileCase("seed beyond long", "POST", Scrapes, 400, Json, "{\"count\":1,\"seed\":9223372036854775808}"),
        new HostileCase("seed a string", "POST", Scrapes, 400, Json, "{\"count\":1,\"seed\":\"x\"}"),
        new HostileCase("unknown source", "POST", Scrapes, 400, Json, "{\"count\":1,\"source\":\"telepathy\"}"),
        new HostileCase("source a number", "POST", Scrapes, 400, Json, "{\"count\":1,\"source\":7}"),
        new HostileCase("JSON nested 5000 deep", "POST", Scrapes, 400, Json, new string('[', 5000) + new string(']', 5000)),
        new HostileCase("form body", "POST", Scrapes, 415, "application/x-www-form-urlencoded", "count=1"),
        new HostileCase("text body", "POST", Scrapes, 415, "text/plain", "1"),
        new HostileCase("no content type", "POST", Scrapes, 415, null, "{\"count\":1}"),
        new HostileCase("scrape id not a guid", "GET", Scrapes + "/not-a-guid", 404),
        new HostileCase("scrape id with a path", "GET", Scrapes + "/..%2F..%2Fetc", 404),
        new HostileCase("unknown scrape", "GET", Scrapes + "/" + Guid.Empty, 404),
        new HostileCase("cancel an unknown scrape", "DELETE", Scrapes + "/" + Guid.NewGuid(), 404),
        new HostileCase("unknown route", "GET", "/api/v1/nothing-here", 404),
        new HostileCase("PUT on the collection", "PUT", Scrapes, 405, Json, "{}"),
        new HostileCase("DELETE on the collection", "DELETE", Scrapes, 405),
        new HostileCase("diagnostics ping id not a guid", "GET", "/api/v1/diagnostics/pings/zzz", 404),
        new HostileCase("count 1e3", "POST", Scrapes, 400, Json, "{\"count\":1e3}"),
        new HostileCase("count null", "POST", Scrapes, 400, Json, "{\"count\":null}"),
        new HostileCase("trailing bytes after the JSON", "POST", Scrapes, 400, Json, "{\"count\":1} x"),
        new HostileCase("JSON string", "POST", Scrapes, 400, Json, "\"scrape\""),
        new HostileCase("a query parameter repeated", "GET", Scrapes + "?x=1&x=2", 400),
    ]);

    /// <summary>The suite's scraper caps a scrape at 250 heads: the document shows that cap, not the default.</summary>
    [Fact]
    public async Task The_documented_count_bound_is_the_configured_cap() =>
        Assert.Equal(("1", "250"), await RouteSweep.BoundsAsync(Service.Http, "POST", Scrapes, "count", TestContext.Current.CancellationToken));

    protected override string GoodPath => Scrapes;

    protected override (string Path, string ContentType, byte[] Body) BodyEndpoint =>
        (Scrapes, Json, Encoding.UTF8.GetBytes("{\"count\":1,\"source\":\"" + new string('s', 3000) + "\"}"));
}
