using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace Inference.Service.Apis;

/// <summary>
/// Reads the photo of a prediction request: the multipart form field <c>image</c>, or the whole body when its
/// content type is an image type. Either way at most <c>limit</c> bytes are buffered; more is a 413.
/// </summary>
public static class ImageUpload
{
    public const string FieldName = "image";

    /// <summary>Room for the multipart envelope (boundaries, part headers, small extra fields) beyond the image.</summary>
    private const long MultipartSlack = 64 << 10;

    /// <summary>Content types taken as an image: the formats the service decodes, plus untyped bytes (sniffed).</summary>
    public static readonly IReadOnlySet<string> ImageTypes = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "image/jpeg", "image/jpg", "image/pjpeg", "image/png", "image/bmp", "image/x-bmp", "image/x-ms-bmp",
        "image/gif", "image/webp", "application/octet-stream",
    };

    public static readonly string[] AdvertisedTypes = ["image/jpeg", "image/png", "image/bmp", "image/gif", "image/webp", "application/octet-stream"];

    /// <summary>The request body as the OpenAPI document shows it: the multipart field or a raw image.</summary>
    public static OpenApiRequestBody OpenApiRequestBody()
    {
        var binary = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
        var content = new Dictionary<string, OpenApiMediaType>
        {
            ["multipart/form-data"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { FieldName },
                    Properties = new Dictionary<string, IOpenApiSchema> { [FieldName] = binary },
                },
            },
        };
        foreach (var type in AdvertisedTypes) content[type] = new OpenApiMediaType { Schema = binary };
        return new OpenApiRequestBody { Required = true, Description = "A face photo (JPEG, PNG, BMP, GIF or WebP).", Content = content };
    }

    public static async Task<(byte[]? Image, IResult? Problem)> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) || contentType.MediaType.Value is not { } mediaType)
            return (null, Unsupported(request.ContentType ?? "none"));
        bool multipart = mediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);
        if (!multipart && !ImageTypes.Contains(mediaType))
            return (null, Unsupported(mediaType));

        long bodyLimit = multipart ? limit + MultipartSlack : limit;
        if (request.ContentLength > bodyLimit) return (null, TooLarge(limit, request.ContentLength));
        // Kestrel then stops a body that lies about (or omits) its length at the limit.
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = bodyLimit;

        try
        {
            if (!multipart)
            {
                var body = await ReadBoundedAsync(request.Body, limit, cancellationToken);
                return body is null ? (null, TooLarge(limit, null)) : (body, null);
            }
            return await ReadMultipartAsync(contentType, request.Body, limit, cancellationToken);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit, null));
        }
        catch (InvalidDataException e)
        {
            return (null, Results.Problem(statusCode: 400, title: "Malformed multipart body", detail: e.Message));
        }
    }

    private static async Task<(byte[]?, IResult?)> ReadMultipartAsync(MediaTypeHeaderValue contentType, Stream body, long limit, CancellationToken cancellationToken)
    {
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary))
            return (null, Results.Problem(statusCode: 400, title: "Malformed multipart body", detail: "The multipart/form-data content type has no boundary."));
        var reader = new MultipartReader(boundary, body) { HeadersLengthLimit = 16 << 10 };
        var fields = new List<string>();
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            var name = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                ? HeaderUtilities.RemoveQuotes(disposition.Name).Value
                : null;
            if (!string.Equals(name, FieldName, StringComparison.Ordinal))
            {
                if (name is not null) fields.Add(name);
                await section.Body.CopyToAsync(Stream.Null, cancellationToken);
                continue;
            }
            // Browsers send the file's type, or application/octet-stream when they do not know it.
            if (section.ContentType is { Length: > 0 } partType
                && (!MediaTypeHeaderValue.TryParse(partType, out var parsed) || !ImageTypes.Contains(parsed.MediaType.Value ?? "")))
                return (null, Unsupported(partType));
            var image = await ReadBoundedAsync(section.Body, limit, cancellationToken);
            return image is null ? (null, TooLarge(limit, null)) : (image, null);
        }
        return (null, Results.Problem(statusCode: 400, title: "No image",
            detail: fields.Count == 0
                ? $"The form has no '{FieldName}' field."
                : $"The form has no '{FieldName}' field (it has {string.Join(", ", fields.Select(f => $"'{f}'"))})."));
    }

    /// <summary>The stream's bytes, or null when it holds more than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream stream, long limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit) return null;
                buffer.Write(chunk, 0, read);
            }
            return buffer.ToArray();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static IResult Unsupported(string type) =>
        Results.Problem(statusCode: 415, title: "Unsupported media type",
            detail: $"'{type}' is not an accepted upload. Send a JPEG, PNG, BMP, GIF or WebP as the body (Content-Type image/jpeg, image/png, image/bmp, image/gif, image/webp or application/octet-stream) or as the multipart/form-data field '{FieldName}'.");

    public static IResult TooLarge(long limit, long? size) =>
        Results.Problem(statusCode: 413, title: "Image too large",
            detail: size is { } s
                ? $"The upload is {s:N0} bytes; the limit is {limit:N0} bytes (Inference:MaxImageBytes)."
                : $"The upload is larger than the limit of {limit:N0} bytes (Inference:MaxImageBytes).");
}
