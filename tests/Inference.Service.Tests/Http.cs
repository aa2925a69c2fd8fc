using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Mvc;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.Service.Tests;

/// <summary>Request and response plumbing shared by the API tests.</summary>
public static class Http
{
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static readonly byte[] TestFacePhoto = File.ReadAllBytes(SharedData.TestFace);

    public static HttpContent Raw(byte[] bytes, string? contentType)
    {
        var content = new ByteArrayContent(bytes);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    public static HttpContent Multipart(byte[] bytes, string? partType, string field = "image")
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(bytes);
        if (partType is not null) part.Headers.ContentType = MediaTypeHeaderValue.Parse(partType);
        form.Add(new StringContent("a note the service ignores"), "note");
        form.Add(part, field, "face.jpg");
        return form;
    }

    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string url, HttpContent content, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        if (accept is not null) request.Headers.TryAddWithoutValidation("Accept", accept);
        return await http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json, TestContext.Current.CancellationToken))!;

    /// <summary>Asserts a problem-details answer with <paramref name="status"/> and returns it.</summary>
    public static async Task<ProblemDetails> ProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<ProblemDetails>(body, Json)!;
        Assert.Equal(status, problem.Status);
        Assert.False(string.IsNullOrWhiteSpace(problem.Title));
        return problem;
    }

    /// <summary>A 32×32 grayscale face encoded as PNG.</summary>
    public static byte[] Png(ReadOnlySpan<byte> face)
    {
        using var image = Image.LoadPixelData<L8>(face, 32, 32);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}

/// <summary>The JSON answer of a prediction.</summary>
public sealed record VolumeJson(string Model, Guid JobId, int Size, int[] Data)
{
    public byte[] Bytes => Data.Select(v => checked((byte)v)).ToArray();
}
