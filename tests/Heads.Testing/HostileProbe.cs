using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace Heads.Testing;

/// <summary>One hostile request and the status a service must answer it with (always as ProblemDetails).</summary>
public sealed record HostileCase(string Name, string Method, string Path, int Status, string? ContentType = null, string? Body = null)
{
    public override string ToString() => Name;
}

/// <summary>
/// A service over real Kestrel on a loopback port, in the Development environment the launch profiles use (where a
/// developer exception page would echo stack traces and headers if anything let it).
/// </summary>
public sealed class KestrelService<TEntry> : IAsyncDisposable where TEntry : class
{
    private readonly WebApplicationFactory<TEntry> _factory;

    public KestrelService(IEnumerable<KeyValuePair<string, string>> settings)
    {
        int port = RealInfrastructure.FreePort();
        Address = new Uri($"http://127.0.0.1:{port}");
        _factory = new WebApplicationFactory<TEntry>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            foreach (var (key, value) in settings) web.UseSetting(key, value);
        });
        _factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        _factory.StartServer();
        Http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri Address { get; }
    public HttpClient Http { get; }
    public IServiceProvider Services => _factory.Services;

    /// <summary>Waits until /health answers 200 (the bus and storage connected).</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var health = await Http.GetAsync("/health");
                if (health.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{typeof(TEntry).Assembly.GetName().Name} at {Address} was not healthy within {timeout.TotalSeconds} s.");
            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
    }
}

/// <summary>Sends hostile requests and checks the answer: the status, a ProblemDetails body with a trace id, and no internals.</summary>
public static class HostileProbe
{
    /// <summary>Sent with every probe; a body that contains it has echoed the request's headers.</summary>
    public const string SentinelHeader = "X-Hostile-Probe";
    public const string SentinelValue = "sentinel-5e1f0c";

    public static TheoryData<HostileCase> Theory(IEnumerable<HostileCase> cases)
    {
        var data = new TheoryData<HostileCase>();
        foreach (var c in cases) data.Add(c);
        return data;
    }

    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HostileCase c, CancellationToken ct)
    {
        var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        request.Headers.TryAddWithoutValidation(SentinelHeader, SentinelValue);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(c.Body));
            if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
        }
        return await http.SendAsync(request, ct);
    }

    /// <summary>The answer is <paramref name="status"/> with a ProblemDetails body naming it, with a trace id, and with no internals.</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, int status, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"{what}: {(int)response.StatusCode} instead of {status}: {Shorten(body)}");
        AssertProblemBody(response.Content.Headers.ContentType?.MediaType, body, status, what);
    }

    public static void AssertProblemBody(string? mediaType, string body, int status, string what)
    {
        Assert.True(mediaType == "application/problem+json", $"{what}: content type {mediaType ?? "(none)"}, body {Shorten(body)}");
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.True(root.TryGetProperty("status", out var s) && s.GetInt32() == status, $"{what}: body status: {Shorten(body)}");
        Assert.True(root.TryGetProperty("title", out var t) && t.GetString() is { Length: > 0 }, $"{what}: no title: {Shorten(body)}");
        Assert.True(root.TryGetProperty("traceId", out var id) && id.GetString() is { Length: > 0 }, $"{what}: no traceId: {Shorten(body)}");
        foreach (var internals in new[] { "   at ", "Exception", "System.", "Microsoft.", SentinelValue, "StackTrace", ".cs:line" })
            Assert.False(body.Contains(internals, StringComparison.Ordinal), $"{what}: the body shows internals ('{internals}'): {Shorten(body)}");
    }

    /// <summary>A request over a raw socket: the head, then <paramref name="body"/> (possibly fewer bytes than the head
    /// announces), at <paramref name="bytesPerSecond"/> (0: at once), optionally half-closing; returns the status and body.</summary>
    public static async Task<(int Status, string? MediaType, string Body)> RawAsync(Uri address, string head, byte[] body, int bytesPerSecond = 0,
        bool halfClose = false, CancellationToken ct = default)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address.Host, address.Port, ct);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var headBytes = Encoding.ASCII.GetBytes(head.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n");
        await stream.WriteAsync(headBytes, ct);
        var reading = ReadResponseAsync(stream, ct);
        if (bytesPerSecond <= 0) await stream.WriteAsync(body, ct);
        else
        {
            // 1/10 s chunks until the body is sent or the server has answered.
            int chunk = Math.Max(1, bytesPerSecond / 10);
            for (int at = 0; at < body.Length && !reading.IsCompleted; at += chunk)
            {
                try
                {
                    await stream.WriteAsync(body.AsMemory(at, Math.Min(chunk, body.Length - at)), ct);
                }
                catch (IOException)
                {
                    break; // the server closed the connection after answering
                }
                await Task.WhenAny(reading, Task.Delay(100, ct));
            }
        }
        if (halfClose) socket.Shutdown(SocketShutdown.Send);
        return await reading.WaitAsync(TimeSpan.FromSeconds(90), ct);
    }

    private static async Task<(int, string?, string)> ReadResponseAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        while (true)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(chunk, ct);
            }
            catch (IOException)
            {
                break;
            }
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            var text = Encoding.UTF8.GetString(buffer.ToArray());
            int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end < 0) continue;
            var headers = text[..end].Split("\r\n");
            var length = headers.Select(h => h.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(-1);
            bool chunked = headers.Any(h => h.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && h.Contains("chunked", StringComparison.OrdinalIgnoreCase));
            var rest = text[(end + 4)..];
            if ((length >= 0 && Encoding.UTF8.GetByteCount(rest) >= length) || (chunked && rest.EndsWith("0\r\n\r\n", StringComparison.Ordinal)))
                return Parse(headers, chunked ? Unchunk(rest) : rest);
        }
        var all = Encoding.UTF8.GetString(buffer.ToArray());
        int e = all.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (e < 0) return (0, null, all);
        return Parse(all[..e].Split("\r\n"), all[(e + 4)..]);
    }

    private static (int, string?, string) Parse(string[] headers, string body)
    {
        int status = int.Parse(headers[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var type = headers.Select(h => h.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            .Select(p => p[1].Split(';')[0].Trim()).FirstOrDefault();
        return (status, type, body);
    }

    private static string Unchunk(string body)
    {
        var result = new StringBuilder();
        int at = 0;
        while (at < body.Length)
        {
            int line = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            int size = Convert.ToInt32(body[at..line], 16);
            if (size == 0) break;
            result.Append(body, line + 2, size);
            at = line + 2 + size + 2;
        }
        return result.ToString();
    }

    /// <summary>
    /// The whole check of one case: the answer, then the service still healthy and still answering
    /// <paramref name="goodPath"/> with 200.
    /// </summary>
    public static async Task RunAsync<TEntry>(KestrelService<TEntry> service, HostileCase hostile, string goodPath, CancellationToken ct) where TEntry : class
    {
        using (var response = await SendAsync(service.Http, hostile, ct))
            await AssertProblemAsync(response, hostile.Status, hostile.Name);
        using var health = await service.Http.GetAsync("/health", ct);
        Assert.True(health.IsSuccessStatusCode, $"after {hostile.Name}: /health {(int)health.StatusCode} {await health.Content.ReadAsStringAsync(ct)}");
        using var good = await service.Http.GetAsync(goodPath, ct);
        Assert.True(good.IsSuccessStatusCode, $"after {hostile.Name}: {goodPath} {(int)good.StatusCode}");
    }

    /// <summary>A body trickled at 400 B/s (above Kestrel's minimum data rate) past a 2 s body deadline gets 408 in 1.5–6 s.</summary>
    public static async Task AssertTrickleTimesOutAsync(Uri address, string path, string contentType, byte[] body, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (status, type, text) = await RawAsync(address,
            $"POST {path} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: {contentType}\nContent-Length: {body.Length}\n{SentinelHeader}: {SentinelValue}\n", body, bytesPerSecond: 400, ct: ct);
        Assert.True(status == 408, $"trickled {contentType}: {status} {Shorten(text)}");
        AssertProblemBody(type, text, 408, $"trickled {contentType}");
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.5, 6);
    }

    /// <summary>A body that stops arriving (fewer bytes than its Content-Length, connection left open) gets 408.</summary>
    public static async Task AssertStalledBodyTimesOutAsync(Uri address, string path, string contentType, byte[] start, CancellationToken ct)
    {
        var (status, type, text) = await RawAsync(address,
            $"POST {path} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: {contentType}\nContent-Length: {start.Length + 500}\n", start, ct: ct);
        Assert.True(status == 408, $"stalled {contentType}: {status} {Shorten(text)}");
        AssertProblemBody(type, text, 408, $"stalled {contentType}");
    }

    private static string Shorten(string body) => body.Length > 400 ? body[..400] + "…" : body;
}

/// <summary>
/// One service on real Kestrel for a whole hostile-input suite, with its own RabbitMQ and Azurite (so it never takes
/// another test's messages from a shared queue) and a 2 s body deadline; healthy before the first case.
/// </summary>
public abstract class ServiceOnKestrel<TEntry> : IAsyncLifetime where TEntry : class
{
    private readonly RealInfrastructure _infrastructure = new();

    public KestrelService<TEntry> Service { get; private set; } = null!;

    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    public async ValueTask InitializeAsync()
    {
        await _infrastructure.InitializeAsync();
        var settings = _infrastructure.ConnectionStrings.Select(p => KeyValuePair.Create(p.Key, p.Value!))
            .Append(KeyValuePair.Create("Heads:RequestTimeouts:Body", "00:00:02"))
            .Append(KeyValuePair.Create("Logging:LogLevel:Default", "Warning"))
            .Concat(Settings);
        Service = new KestrelService<TEntry>(settings);
        await Service.WaitHealthyAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (Service is not null) await Service.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }
}

/// <summary>
/// A service's hostile-input suite: each case of <c>Cases</c> (a static member of the derived class), a body trickled
/// past the deadline and a body that stops short, each followed by a health check and a good request.
/// </summary>
public abstract class HostileInputSuite<TEntry>(ServiceOnKestrel<TEntry> fixture) where TEntry : class
{
    protected KestrelService<TEntry> Service => fixture.Service;

    /// <summary>A GET that must answer 200 after every case.</summary>
    protected abstract string GoodPath { get; }

    /// <summary>A POST endpoint that reads a body, its content type, and a valid-looking body of a few kilobytes.</summary>
    protected abstract (string Path, string ContentType, byte[] Body) BodyEndpoint { get; }

    [Theory]
    [MemberData("Cases")]
    public Task Each_hostile_request_gets_its_problem_and_the_service_goes_on(HostileCase hostile) =>
        HostileProbe.RunAsync(Service, hostile, GoodPath, TestContext.Current.CancellationToken);

    /// <summary>Every route, parameter and body in the service's OpenAPI document, swept with malformed values (<see cref="RouteSweep"/>).</summary>
    [Fact]
    public async Task No_malformed_request_to_any_documented_route_gets_a_5xx()
    {
        var ct = TestContext.Current.CancellationToken;
        var cases = await RouteSweep.CasesAsync(Service.Http, ct);
        var failures = new List<string>();
        foreach (var sweep in cases)
        {
            using var response = await HostileProbe.SendAsync(Service.Http, sweep.Request, ct);
            int status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(ct);
            if (sweep.Expected.Length > 0 ? !sweep.Expected.Contains(status) : status >= 500)
                failures.Add($"{sweep.Request.Name}: {status} (expected {(sweep.Expected.Length > 0 ? string.Join(" or ", sweep.Expected) : "below 500")}) {body[..Math.Min(body.Length, 200)]}");
            else if (status >= 400 && !(sweep.RefusedByKestrel && body.Length == 0))
            {
                try
                {
                    HostileProbe.AssertProblemBody(response.Content.Headers.ContentType?.MediaType, body, status, sweep.Request.Name);
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    failures.Add($"{status} {e.Message}");
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} swept requests:\n" + string.Join("\n", failures));
        // A sweep that found nothing to send proves nothing: every service documents at least a few routes with parameters.
        Assert.True(cases.Count >= 30, $"only {cases.Count} requests swept");
        using var health = await Service.Http.GetAsync("/health", ct);
        Assert.True(health.IsSuccessStatusCode, $"after the sweep: /health {(int)health.StatusCode}");
        using var good = await Service.Http.GetAsync(GoodPath, ct);
        Assert.True(good.IsSuccessStatusCode, $"after the sweep: {GoodPath} {(int)good.StatusCode}");
    }

    /// <summary>The API explorer (Scalar) answers with its page, and the script it loads comes from the service itself.</summary>
    [Fact]
    public async Task The_API_explorer_answers_with_its_page_and_its_own_script()
    {
        var ct = TestContext.Current.CancellationToken;
        using var page = await Service.Http.GetAsync("/scalar", ct);
        var html = await page.Content.ReadAsStringAsync(ct);
        Assert.True(page.IsSuccessStatusCode, $"/scalar: {(int)page.StatusCode} {html[..Math.Min(200, html.Length)]}");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var scripts = System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]+src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var src in scripts)
        {
            Assert.False(src.StartsWith("http", StringComparison.OrdinalIgnoreCase), $"the explorer loads {src} from elsewhere");
            using var script = await Service.Http.GetAsync(new Uri(page.RequestMessage!.RequestUri!, src), ct);
            Assert.True(script.IsSuccessStatusCode, $"{src}: {(int)script.StatusCode}");
        }
        Assert.Contains("openapi", html, StringComparison.OrdinalIgnoreCase); // the document it renders
    }

    [Fact]
    public async Task Every_operation_has_a_summary_and_documents_its_error_answers()
    {
        var missing = await RouteSweep.UndocumentedOperationsAsync(Service.Http, TestContext.Current.CancellationToken);
        Assert.True(missing.Count == 0, "in the OpenAPI document: " + string.Join("; ", missing));
    }

    [Fact]
    public async Task Every_numeric_parameter_and_body_property_has_its_bounds_in_the_OpenAPI_document()
    {
        var unbounded = await RouteSweep.UnboundedNumbersAsync(Service.Http, TestContext.Current.CancellationToken);
        Assert.True(unbounded.Count == 0, "without a documented minimum and maximum: " + string.Join("; ", unbounded));
    }

    [Fact]
    public Task A_body_trickled_past_the_deadline_gets_408()
    {
        var (path, type, body) = BodyEndpoint;
        return HostileProbe.AssertTrickleTimesOutAsync(Service.Address, path, type, body, TestContext.Current.CancellationToken);
    }

    [Fact]
    public Task A_client_that_stops_sending_gets_408()
    {
        var (path, type, body) = BodyEndpoint;
        return HostileProbe.AssertStalledBodyTimesOutAsync(Service.Address, path, type, body[..8], TestContext.Current.CancellationToken);
    }
}
