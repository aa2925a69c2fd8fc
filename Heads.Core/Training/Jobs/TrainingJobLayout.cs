namespace Heads.Core.Training.Jobs;

/// <summary>
/// Blob names of a training job inside the models container, all under "{job}/" (the job id as a lower-case GUID):
/// job.json (state, ETag-guarded), progress.json (single-replica progress), cancel (marker), model-{attempt}.safetensors
/// (single-network weights; one name per training attempt, so a losing duplicate never overwrites the committed weights), shards/{first:D5}-{count:D5}.safetensors + .json (FaceNet2 shard weights, then its manifest
/// as the commit marker), progress/{range}.json (a running shard's progress) and manifest.json (the model, written once).
/// </summary>
public static class TrainingJobLayout
{
    public const string ContainerName = "models";
    public const string JobName = "job.json";
    public const string ProgressName = "progress.json";
    public const string CancelName = "cancel";
    public const string ManifestName = "manifest.json";
    public const string WeightsPrefix = "model-";
    public const string ShardsFolderName = "shards/";
    public const string ShardProgressFolderName = "progress/";
    public const string WeightsExtension = ".safetensors";
    public const string ManifestExtension = ".json";

    public static string JobFolder(Guid jobId) => jobId.ToString("D") + "/";

    public static string JobBlob(Guid jobId) => JobFolder(jobId) + JobName;

    public static string ProgressBlob(Guid jobId) => JobFolder(jobId) + ProgressName;

    public static string CancelBlob(Guid jobId) => JobFolder(jobId) + CancelName;

    public static string ManifestBlob(Guid jobId) => JobFolder(jobId) + ManifestName;

    /// <summary>The manifest as events name it: "models/{job}/manifest.json".</summary>
    public static string ManifestPath(Guid jobId) => ContainerName + "/" + ManifestBlob(jobId);

    /// <summary>Single-network weights of one training attempt; the manifest names the attempt that won the commit.</summary>
    public static string WeightsBlob(Guid jobId, string attempt) => JobFolder(jobId) + WeightsPrefix + attempt + WeightsExtension;

    public static string ShardsFolder(Guid jobId) => JobFolder(jobId) + ShardsFolderName;

    public static string ShardWeightsBlob(Guid jobId, VoxelShardRange range) => ShardsFolder(jobId) + range.Name + WeightsExtension;

    public static string ShardManifestBlob(Guid jobId, VoxelShardRange range) => ShardsFolder(jobId) + range.Name + ManifestExtension;

    public static string ShardProgressFolder(Guid jobId) => JobFolder(jobId) + ShardProgressFolderName;

    public static string ShardProgressBlob(Guid jobId, VoxelShardRange range) => ShardProgressFolder(jobId) + range.Name + ManifestExtension;

    /// <summary>The range of a "{job}/shards/{range}.json" or "{job}/progress/{range}.json" name under <paramref name="folder"/>.</summary>
    public static bool TryParseRange(string blobName, string folder, out VoxelShardRange range)
    {
        range = new VoxelShardRange(0, 0);
        if (!blobName.StartsWith(folder, StringComparison.Ordinal) || !blobName.EndsWith(ManifestExtension, StringComparison.Ordinal)) return false;
        return VoxelShardRange.TryParse(blobName[folder.Length..^ManifestExtension.Length], out range);
    }

    /// <summary>The job id of a top-level "{job}/" folder name, or null.</summary>
    public static Guid? JobIdOfFolder(string prefix) =>
        prefix.EndsWith('/') && Guid.TryParseExact(prefix[..^1], "D", out var id) ? id : null;
}
