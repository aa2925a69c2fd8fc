using Heads.Core.Synthetic;
using Microsoft.Extensions.Options;

namespace Inference.Service.Samples;

/// <summary>A synthetic face photo to try the service with.</summary>
public sealed record SampleFace(string Name, ulong Seed, int Width, int Height, byte[] Jpeg);

/// <summary>
/// Renders a few synthetic heads (seeds 1..Inference:SampleFaces) from the front at start, as the scraper's default
/// source photographs them, so the viewer and a first curl have a face to send without any data.
/// </summary>
public sealed class SampleFaces(IOptions<InferenceOptions> options, ILogger<SampleFaces> logger) : BackgroundService
{
    private readonly TaskCompletionSource<IReadOnlyList<SampleFace>> faces = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IReadOnlyList<SampleFace>> Faces => faces.Task;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        try
        {
            int count = Math.Max(0, options.Value.SampleFaces), size = Math.Clamp(options.Value.SampleSize, 32, 1024);
            var generator = new HeadGenerator();
            var settings = new RenderSettings { Width = size, Height = size };
            var rendered = new List<SampleFace>(count);
            for (ulong seed = 1; seed <= (ulong)count; seed++)
            {
                stoppingToken.ThrowIfCancellationRequested();
                rendered.Add(new SampleFace($"face-{seed}", seed, size, size, HeadRenderer.RenderJpeg(generator.Generate(seed), settings)));
            }
            logger.LogInformation("Rendered {Count} sample faces ({Size}×{Size})", rendered.Count, size, size);
            faces.TrySetResult(rendered);
        }
        catch (OperationCanceledException)
        {
            faces.TrySetCanceled(stoppingToken);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not render the sample faces");
            faces.TrySetException(e);
        }
    }, stoppingToken);
}
