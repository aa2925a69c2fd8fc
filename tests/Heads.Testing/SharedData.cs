namespace Heads.Testing;

/// <summary>
/// Finds ../shared/data (real files from the original FaceTo3D project) beside the checkout, or HEADS_SHARED_DATA.
/// Tests read it in place; it is never copied into the repository.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> Located = new(Locate);

    /// <summary>The folder holding facenet/, or null when it is not there.</summary>
    public static string? RootOrNull => Located.Value;

    /// <summary>The folder holding facenet/ (an import root for the dataset service).</summary>
    public static string Root => Located.Value
        ?? throw new DirectoryNotFoundException("../shared/data/facenet not found above " + AppContext.BaseDirectory + "; set HEADS_SHARED_DATA.");

    public static string FaceNetDirectory => Path.Combine(Root, "facenet");

    /// <summary>3333 real 32×32 grayscale faces, 1024 bytes each.</summary>
    public static string TrainX => Path.Combine(FaceNetDirectory, "train_x.dat");

    /// <summary>The original (poisoned) 32³ volumes, gzip.</summary>
    public static string TrainYGz => Path.Combine(FaceNetDirectory, "train_y.dat.gz");

    /// <summary>The original full-size test photograph.</summary>
    public static string TestFace => Path.Combine(FaceNetDirectory, "test_face.jpeg");

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("HEADS_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(Path.Combine(candidate, "facenet"))) return candidate;
        }
        return null;
    }
}
