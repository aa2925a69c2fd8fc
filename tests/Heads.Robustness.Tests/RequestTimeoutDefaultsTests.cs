using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Heads.Robustness.Tests;

/// <summary>The service defaults give every endpoint a request timeout that answers 504 problem details.</summary>
public sealed class RequestTimeoutDefaultsTests
{
    [Fact]
    public async Task A_slow_endpoint_is_cut_off_at_the_default_timeout_and_a_long_one_is_not()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["Heads:RequestTimeouts:Default"] = "00:00:00.300";
        builder.Configuration["Heads:RequestTimeouts:Long"] = "00:00:05";
        builder.AddServiceDefaults();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/slow", async (HttpContext http) => { await Task.Delay(TimeSpan.FromSeconds(3), http.RequestAborted); return "done"; });
        app.MapGet("/slow-but-long", async (HttpContext http) => { await Task.Delay(TimeSpan.FromSeconds(1), http.RequestAborted); return "done"; })
            .WithRequestTimeout(HeadsRequestTimeouts.Long);
        app.MapPost("/upload", async (HttpContext http) =>
        {
            var buffer = new byte[4096];
            long total = 0;
            int read;
            while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0) total += read;
            return total;
        });
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var slow = await http.GetAsync("/slow", ct);
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.Equal("application/problem+json", slow.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Request timed out", await slow.Content.ReadAsStringAsync(ct));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), $"answered after {clock.Elapsed.TotalSeconds:F1} s");

        // A stalled upload: had the server waited for the whole body it would answer 200. (HTTP/1.1 clients read the
        // answer only once their upload ends, so the client's clock cannot show when the server gave up.)
        var stalled = await http.PostAsync("/upload", new Heads.Testing.StalledUpload(new byte[100_000], TimeSpan.FromSeconds(3)), ct);
        Assert.Equal(HttpStatusCode.GatewayTimeout, stalled.StatusCode);

        var longer = await http.GetAsync("/slow-but-long", ct);
        Assert.Equal(HttpStatusCode.OK, longer.StatusCode);
        await app.StopAsync(ct);
    }
}
