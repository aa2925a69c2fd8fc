using System.Security.Cryptography;
using Heads.Core.Geometry;
using Microsoft.Extensions.Options;

namespace Scraper.Service.Sources;

public sealed class FolderSourceOptions
{
    /// <summary>A directory of pairs NAME.(jpg|jpeg|png|webp|bmp|gif) + NAME.ply, e.g. a downloaded copy of the FaceTo3D heads.</summary>
    public string? Path { get; set; }
}

/// <summary>
/// Imports image + PLY pairs from a directory fixed in configuration (never from a request). Pairs are taken in name
/// order; a head's id is a hash of its bytes, so importing the same folder twice adds nothing.
/// </summary>
public sealed class FolderHeadSource(IOptions<FolderSourceOptions> options) : IHeadSource
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"];

    public string Name => "folder";

    public string? PredictHeadId(long seed, int index) => null;

    public IReadOnlyList<(string Image, string Mesh)> Pairs()
    {
        var dir = options.Value.Path;
        if (string.IsNullOrWhiteSpace(dir) || !Directory.Exists(dir))
            throw new Microsoft.Extensions.Options.OptionsValidationException("Scraper:Folder", typeof(FolderSourceOptions),
                [$"Folder source is not configured or missing: set Scraper:Folder:Path to a directory (now '{dir}')."]);
        return Directory.EnumerateFiles(dir, "*.ply", SearchOption.TopDirectoryOnly)
            .Order(StringComparer.Ordinal)
            .Select(mesh => (Image: ImageExtensions.Select(ext => System.IO.Path.ChangeExtension(mesh, ext)).FirstOrDefault(File.Exists), Mesh: mesh))
            .Where(p => p.Image is not null)
            .Select(p => (p.Image!, p.Mesh))
            .ToList();
    }

    public async Task<SourcedHead> ProduceAsync(long seed, int index, CancellationToken cancellationToken)
    {
        var pairs = Pairs();
        if (index >= pairs.Count)
            throw new HeadSourceException($"Folder source has {pairs.Count} image + PLY pairs; head {index} was asked for.");
        var (imagePath, meshPath) = pairs[index];
        var image = await File.ReadAllBytesAsync(imagePath, cancellationToken);
        var mesh = await File.ReadAllBytesAsync(meshPath, cancellationToken);
        var id = "dir-" + Convert.ToHexStringLower(SHA256.HashData([.. image, .. mesh]))[..20];
        return new SourcedHead(id, null, image, ContentTypes.FromExtension(imagePath), mesh);
    }
}

internal static class ContentTypes
{
    public static string FromExtension(string path) => System.IO.Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".bmp" => "image/bmp",
        ".gif" => "image/gif",
        _ => "image/jpeg",
    };
}
