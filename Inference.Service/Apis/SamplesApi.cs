using Inference.Service.Samples;

namespace Inference.Service.Apis;

public sealed record SampleInfo(string Name, ulong Seed, int Width, int Height, string Url);

public static class SamplesApi
{
    public static RouteGroupBuilder MapSamplesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/samples").WithTags("Samples");

        api.MapGet("/", async (SampleFaces samples) =>
                (await samples.Faces).Select(f => new SampleInfo(f.Name, f.Seed, f.Width, f.Height, $"/api/v1/samples/{f.Name}.jpg")).ToList())
            .WithName("ListSamples")
            .WithSummary("Synthetic face photos to send to POST /api/v1/faces/predictions");

        api.MapGet("/{name}.jpg", async (string name, SampleFaces samples) =>
                (await samples.Faces).FirstOrDefault(f => f.Name == name) is { } face
                    ? Results.File(face.Jpeg, "image/jpeg")
                    : Results.Problem(statusCode: 404, title: "Unknown sample", detail: $"No sample face '{name}'. GET /api/v1/samples lists them."))
            .WithName("SampleFace")
            .WithSummary("A sample face photo (JPEG)")
            .Produces(200, null, "image/jpeg")
            .ProducesProblem(404);

        return api;
    }
}
