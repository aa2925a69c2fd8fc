namespace Inference.Viewer.Tests;

/// <summary>Where the viewer page lives in the repository: Inference.Service/wwwroot beside Heads.sln.</summary>
public static class ViewerSite
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string WebRoot { get; } = Path.Combine(RepositoryRoot, "Inference.Service", "wwwroot");

    /// <summary>The esbuild bundle; fails with the fix when the build has not produced it.</summary>
    public static string RequireBundle()
    {
        var bundle = Path.Combine(WebRoot, "dist", "viewer.js");
        if (!File.Exists(bundle))
        {
            throw new FileNotFoundException(
                $"The viewer bundle {bundle} is missing. Build this test project (its reference runs " +
                "Inference.Service's ClientAppBuild target) or run `npm ci && npm run build` in Inference.Service/ClientApp.",
                bundle);
        }
        return bundle;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Heads.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No folder above {AppContext.BaseDirectory} holds Heads.sln.");
    }
}
