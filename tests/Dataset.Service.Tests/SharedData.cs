namespace Dataset.Service.Tests;

/// <summary>Finds ../shared/data (the original FaceTo3D files) beside the checkout, or HEADS_SHARED_DATA.</summary>
public static class SharedData
{
    private static readonly Lazy<string?> Located = new(Locate);

    /// <summary>The folder holding facenet/, or null when it is not there (only the import tests need it).</summary>
    public static string? RootOrNull => Located.Value;

    /// <summary>The folder holding facenet/: the import root the service is configured with in these tests.</summary>
    public static string Root => Located.Value
        ?? throw new DirectoryNotFoundException("../shared/data/facenet not found above " + AppContext.BaseDirectory + "; set HEADS_SHARED_DATA.");

    public static string FaceNetDirectory => Path.Combine(Root, "facenet");

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
