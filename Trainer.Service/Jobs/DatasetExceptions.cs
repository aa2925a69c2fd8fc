namespace Trainer.Service.Jobs;

// The base types are ones the bus's retry policy ignores: retrying cannot make a missing or broken dataset appear.

/// <summary>datasets/{id}/manifest.json does not exist.</summary>
public sealed class UnknownDatasetException(string datasetId)
    : KeyNotFoundException($"Dataset '{datasetId}' does not exist (no datasets/{datasetId}/manifest.json).")
{
    public string DatasetId { get; } = datasetId;
}

/// <summary>The dataset's manifest or files are unreadable, incomplete or fail their checksums.</summary>
public sealed class CorruptDatasetException(string datasetId, string reason)
    : FormatException($"Dataset '{datasetId}' is corrupt: {reason}")
{
    public string DatasetId { get; } = datasetId;
}

/// <summary>The dataset is of the wrong kind for the model (a HeadsNet dataset for FaceNet3, say).</summary>
public sealed class IncompatibleDatasetException(string message) : ArgumentException(message);
