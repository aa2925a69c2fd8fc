namespace Inference.Service.Tests;

/// <summary>Finds ../shared/data (real FaceTo3D files) beside the checkout, or HEADS_SHARED_DATA.</summary>
public static class SharedData
{
    public static string FaceNetDirectory { get; } = Locate();

    public static string TrainX => Path.Combine(FaceNetDirectory, "train_x.dat");
    public static string TestFace => Path.Combine(FaceNetDirectory, "test_face.jpeg");

    private static string Locate()
    {
        var env = Environment.GetEnvironmentVariable("HEADS_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return Path.Combine(env, "facenet");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "facenet");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("../shared/data/facenet not found above " + AppContext.BaseDirectory + "; set HEADS_SHARED_DATA.");
    }
}
