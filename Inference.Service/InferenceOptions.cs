namespace Inference.Service;

/// <summary>The <c>Inference</c> configuration section.</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary>TorchSharp intra-op threads; 0 means one per core.</summary>
    public int TorchThreads { get; set; }

    /// <summary>Largest accepted image upload, raw or multipart (the multipart envelope may add a little).</summary>
    public long MaxImageBytes { get; set; } = 8L << 20;

    /// <summary>Largest head a client may ask <c>GET /api/v1/heads/random</c> for.</summary>
    public int MaxPoints { get; set; } = 1_000_000;

    /// <summary>
    /// Heads sampled at once. One 200,000-point head already keeps every core busy (about 180 GFLOP), so a second
    /// one at the same time only makes both slower; more helps only with more cores than torch threads.
    /// </summary>
    public int MaxConcurrentHeads { get; set; } = 1;

    /// <summary>Most faces run through a FaceNet in one forward pass.</summary>
    public int MaxBatch { get; set; } = 32;

    /// <summary>
    /// How long the batcher waits for more faces after the first; 0 takes only what is already queued, which still
    /// batches under load because requests queue up while a pass runs.
    /// </summary>
    public double BatchWindowMilliseconds { get; set; }

    /// <summary>
    /// Blob-name prefix under the <c>models</c> container that this service scans (jobs at <c>{prefix}{jobId}/manifest.json</c>).
    /// Empty in the stack; a prefix gives a service its own namespace of models (tests, staging).
    /// </summary>
    public string ModelsPrefix { get; set; } = "";

    /// <summary>The newest jobs of each network kind that stay loaded; older ones are listed as not loaded.</summary>
    public int ModelsPerKind { get; set; } = 3;

    /// <summary>
    /// FaceNet2 jobs kept loaded: all 32,768 networks take 5.1 GB, so by default only the newest (a reload holds the
    /// old one until the new one is in, so briefly two).
    /// </summary>
    public int FaceNet2Models { get; set; } = 1;

    /// <summary>Synthetic sample faces rendered at start (seeds 1..N) for <c>GET /api/v1/samples</c>.</summary>
    public int SampleFaces { get; set; } = 4;

    /// <summary>Width and height of the sample photos.</summary>
    public int SampleSize { get; set; } = 256;
}
