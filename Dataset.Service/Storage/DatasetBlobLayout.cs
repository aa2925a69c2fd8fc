using Heads.Core.Contracts;
using Heads.Core.Datasets;

namespace Dataset.Service.Storage;

/// <summary>
/// Names in the datasets container: heads/{head}/… (per-head samples, sample.json last), rejects/{head}.json, and
/// {dataset}/… (manifest.json, progress.json while building, the dataset files). Dataset ids therefore may not be
/// the two top-level folder names.
/// </summary>
public static class DatasetBlobLayout
{
    public const string HeadsFolder = "heads/";
    public const string RejectsFolder = "rejects/";
    public const string SampleMarkerName = "sample.json";
    public const string ProgressName = "progress.json";

    public static readonly IReadOnlySet<string> ReservedDatasetIds = new HashSet<string>(StringComparer.Ordinal) { "heads", "rejects" };

    public static string HeadId(string headId) => ResourceIds.Validate(headId, "head id");

    public static string DatasetId(string datasetId)
    {
        ResourceIds.Validate(datasetId, "dataset id");
        if (ReservedDatasetIds.Contains(datasetId))
            throw new ArgumentException($"'{datasetId}' is reserved (a storage folder) and cannot be a dataset id.");
        return datasetId;
    }

    public static bool IsValidDatasetId(string? datasetId) => ResourceIds.IsValid(datasetId) && !ReservedDatasetIds.Contains(datasetId!);

    public static string SampleBlob(string headId, string name) => $"{HeadsFolder}{HeadId(headId)}/{name}";

    public static string SampleMarkerBlob(string headId) => SampleBlob(headId, SampleMarkerName);

    public static string RejectBlob(string headId) => $"{RejectsFolder}{HeadId(headId)}.json";

    public static string DatasetFolder(string datasetId) => DatasetId(datasetId) + "/";

    public static string DatasetBlob(string datasetId, string name) => DatasetFolder(datasetId) + name;

    public static string ManifestBlob(string datasetId) => DatasetBlob(datasetId, DatasetLayout.ManifestName);

    public static string ProgressBlob(string datasetId) => DatasetBlob(datasetId, ProgressName);

    /// <summary>The head id of a heads/{id}/sample.json name, or null for any other name.</summary>
    public static string? HeadIdOfMarker(string blobName)
    {
        if (!blobName.StartsWith(HeadsFolder, StringComparison.Ordinal) || !blobName.EndsWith("/" + SampleMarkerName, StringComparison.Ordinal)) return null;
        var id = blobName[HeadsFolder.Length..^(SampleMarkerName.Length + 1)];
        return ResourceIds.IsValid(id) ? id : null;
    }

    /// <summary>Longest blob name storage accepts.</summary>
    public const int MaxBlobNameLength = 1024;

    /// <summary>
    /// Splits "container/name" as events carry blob paths, requiring the expected container. The name may not step out of
    /// it: HTTP clients resolve "faces/../datasets/x" to another container, so dot segments, empty segments, backslashes
    /// and control characters are refused.
    /// </summary>
    public static string BlobNameIn(string path, string container)
    {
        var prefix = container + "/";
        if (string.IsNullOrEmpty(path) || !path.StartsWith(prefix, StringComparison.Ordinal) || path.Length == prefix.Length
            || path.Length - prefix.Length > MaxBlobNameLength)
            throw new InvalidDataException($"Blob path '{Shorten(path)}' is not a blob in container '{container}'.");
        var name = path[prefix.Length..];
        if (name.Contains('\\') || name.Any(char.IsControl) || name.Split('/').Any(segment => segment is "" or "." or ".."))
            throw new InvalidDataException($"Blob path '{Shorten(path)}' is not a blob in container '{container}': its name has empty, '.' or '..' segments, backslashes or control characters.");
        return name;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 120 ? text : text[..120] + "...";
}
