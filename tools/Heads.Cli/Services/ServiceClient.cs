using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Heads.Cli.Services;

/// <summary>Where the stack's services listen when started by the AppHost (<c>./run.sh</c>), on loopback.</summary>
public static class ServiceAddresses
{
    public const string Scraper = "http://127.0.0.1:5101";
    public const string Dataset = "http://127.0.0.1:5102";
    public const string Trainer = "http://127.0.0.1:5103";
    public const string Inference = "http://127.0.0.1:5104";
}

/// <summary>
/// One service's HTTP API. No connection at all becomes <see cref="UnreachableException"/> (exit 3); an error answer
/// becomes <see cref="InputException"/> (exit 2) carrying the service's ProblemDetails title and detail.
/// </summary>
public sealed class ServiceClient : IDisposable
{
    private readonly HttpClient http;

    public ServiceClient(string service, string? server, string defaultAddress, TimeSpan? timeout = null)
    {
        Service = service;
        var text = string.IsNullOrWhiteSpace(server) ? defaultAddress : server.Trim();
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            throw new InputException($"--server '{server}' is not an http(s) URL, e.g. {defaultAddress}.");
        BaseAddress = address;
        http = new HttpClient { BaseAddress = address, Timeout = timeout ?? TimeSpan.FromMinutes(10) };
    }

    public string Service { get; }
    public Uri BaseAddress { get; }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);

    /// <summary>Sends and returns a successful response; the caller disposes it.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            var why = e.InnerException is SocketException s ? s.Message : e.Message;
            throw new UnreachableException($"cannot reach the {Service} at {BaseAddress} ({why}); start the stack with ./run.sh or pass --server URL.", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new UnreachableException($"the {Service} at {BaseAddress} did not answer within {http.Timeout.TotalSeconds:N0} s.", e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw new InputException(await ProblemAsync(response, ct));
    }

    public async Task<JsonNode?> GetJsonAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Get, path), ct);
        return await ReadJsonAsync(response, ct);
    }

    public async Task<(JsonNode? Body, Uri? Location)> PostJsonAsync(string path, object body, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: Json) }, ct);
        return (await ReadJsonAsync(response, ct), response.Headers.Location);
    }

    public async Task<JsonNode?> DeleteAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), ct);
        return await ReadJsonAsync(response, ct);
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
    }

    /// <summary>"the inference service answered 503 No model: …" from a ProblemDetails body, or the status and start of the body.</summary>
    private async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        string reason = body.Length > 200 ? body[..200] : body;
        try
        {
            if (JsonNode.Parse(body) is JsonObject problem)
            {
                var title = problem["title"]?.GetValue<string>();
                var detail = problem["detail"]?.GetValue<string>();
                reason = string.Join(": ", new[] { title, detail }.Where(s => !string.IsNullOrEmpty(s)));
            }
        }
        catch (JsonException)
        {
            // Not ProblemDetails: the start of the body says what went wrong.
        }
        return $"the {Service} answered {(int)response.StatusCode} {response.ReasonPhrase}{(reason.Length > 0 ? ": " + reason : "")}";
    }

    public void Dispose() => http.Dispose();
}
