namespace Heads.Geometry.Tests;

/// <summary>
/// Scratch folders for tests that create many files: in RAM (/dev/shm) where there is one, since the per-voxel
/// split writes 32768 files and a disk-backed temp folder makes that take tens of seconds on a busy machine.
/// </summary>
public sealed class Scratch : IDisposable
{
    public Scratch(string prefix)
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
