using System.Net.Http.Headers;
using System.Security.Cryptography;
using Heads.Core.Geometry;
using Microsoft.Extensions.Options;

namespace Scraper.Service.Sources;

public sealed class HttpSourceOptions
{
    /// <summary>Where face photos come from; every GET returns a new face.</summary>
    public string ImageUrl { get; set; } = "https://thispersondoesnotexist.com/";

    /// <summary>A TripoSR-compatible reconstruction endpoint: POST multipart field <c>image</c>, answers a PLY or OBJ mesh.</summary>
    public string? ReconstructionUrl { get; set; }

    public int TimeoutSeconds { get; set; } = 120;

    public long MaxMeshBytes { get; set; } = 256L * 1024 * 1024;
    public long MaxImageBytes { get; set; } = 20L * 1024 * 1024;
}

/// <summary>
/// The original pipeline: fetch a generated face photo, have a reconstruction service turn it into a mesh. The named
/// HttpClient carries the standard resilience handler (bounded retries, per-attempt and total timeouts).
/// </summary>
public sealed class HttpHeadSource(IHttpClientFactory clients, IOptions<HttpSourceOptions> options) : IHeadSource
{
    public const string ClientName = "head-source";

    public string Name => "http";

    public string? PredictHeadId(long seed, int index) => null;

    public async Task<SourcedHead> ProduceAsync(long seed, int index, CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (string.IsNullOrWhiteSpace(o.ReconstructionUrl))
            throw new OptionsValidationException("Scraper:Http", typeof(HttpSourceOptions), ["The http source needs Scraper:Http:ReconstructionUrl (a TripoSR-compatible endpoint)."]);
        var http = clients.CreateClient(ClientName);

        byte[] image;
        string imageType;
        try
        {
            using var response = await http.GetAsync(o.ImageUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            imageType = response.Content.Headers.ContentType?.MediaType ?? "image/jpeg";
            image = await ReadCappedAsync(response.Content, o.MaxImageBytes, "image", cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new HeadSourceException($"Face image source {o.ImageUrl} is unreachable: {ex.Message}", ex);
        }

        byte[] meshBytes;
        try
        {
            using var form = new MultipartFormDataContent();
            var part = new ByteArrayContent(image);
            part.Headers.ContentType = new MediaTypeHeaderValue(imageType);
            form.Add(part, "image", "face" + (imageType == "image/png" ? ".png" : ".jpg"));
            using var response = await http.PostAsync(o.ReconstructionUrl, form, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new HeadSourceException($"Reconstruction endpoint {o.ReconstructionUrl} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
            meshBytes = await ReadCappedAsync(response.Content, o.MaxMeshBytes, "mesh", cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new HeadSourceException($"Reconstruction endpoint {o.ReconstructionUrl} is unreachable: {ex.Message}", ex);
        }

        var ply = MeshFormats.ToBinaryPly(meshBytes);
        var id = "web-" + Convert.ToHexStringLower(SHA256.HashData(image))[..20];
        return new SourcedHead(id, null, image, imageType, ply);
    }

    private static async Task<byte[]> ReadCappedAsync(HttpContent content, long cap, string what, CancellationToken ct)
    {
        if (content.Headers.ContentLength is { } length && length > cap)
            throw new HeadSourceException($"The {what} is {length} bytes; the limit is {cap}.");
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > cap) throw new HeadSourceException($"The {what} exceeds the limit of {cap} bytes.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
