namespace Dataset.Service.Storage;

/// <summary>Configuration section "Dataset".</summary>
public sealed class DatasetOptions
{
    public const string SectionName = "Dataset";

    /// <summary>Folder whose direct subfolders may be imported (train_x.dat + train_y.dat[.gz]); imports are off when unset.</summary>
    public string? ImportRoot { get; set; }

    /// <summary>Bytes per staged block of a dataset file: the memory a file being written needs is two of these.</summary>
    public int BlockSizeBytes { get; set; } = 4 << 20;

    /// <summary>Largest accepted HTTP request body.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1 << 20;

    /// <summary>A build whose progress marker was not updated for this long is taken to have died and may be taken over.</summary>
    public TimeSpan BuildStaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often a running build updates its progress marker (and proves it still holds the build).</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Heads whose samples are fetched concurrently while a FaceNet build writes the previous ones.</summary>
    public int FetchConcurrency { get; set; } = 16;

    /// <summary>Largest mesh or photo blob a head may have.</summary>
    public long MaxHeadBlobBytes { get; set; } = 256L << 20;

    /// <summary>How often the heads-processed rate is logged (only when something happened).</summary>
    public TimeSpan RateLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    public DatasetPipelineOptions Pipeline { get; set; } = new();
}

/// <summary>The default pipeline's dataset step: build datasets when a scrape completes.</summary>
public sealed class DatasetPipelineOptions
{
    public bool BuildOnScrape { get; set; }

    /// <summary>HeadsNet rows are one per mesh vertex (~31k a head), so the pipeline's HeadsNet set uses fewer heads.</summary>
    public int HeadsNetHeads { get; set; } = 40;

    /// <summary>
    /// Heads the pipeline's datasets hold out: a fifth of the default 500 heads is about 100, enough to tell models apart
    /// by 0.03 IoU, while the scrape stays within minutes.
    /// </summary>
    public double HeldOutFraction { get; set; } = 0.2;

    /// <summary>How long to wait for a scrape's heads to be processed before building with what is there.</summary>
    public TimeSpan WaitForHeads { get; set; } = TimeSpan.FromMinutes(30);
}
