using Dataset.Service.Building;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Heads.Core.FaceTo3D;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Importing;

/// <summary>Command (this service's own queue): import original FaceTo3D files from a folder under the import root as a FaceNet dataset.</summary>
public sealed record ImportFaceNetDataset
{
    public required string DatasetId { get; init; }
    /// <summary>A folder name directly under Dataset:ImportRoot, never a path.</summary>
    public required string Directory { get; init; }
    public double HeldOutFraction { get; init; } = HeldOutSplit.DefaultFraction;
}

/// <summary>
/// An import that cannot start; <see cref="Status"/> is the HTTP status that fits. An ArgumentException, so the bus
/// faults it at once instead of retrying.
/// </summary>
public sealed class ImportSourceException(int status, string title, string message) : ArgumentException(message)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
}

/// <summary>The two files of an import folder.</summary>
public sealed record ImportSource(string Directory, string TrainX, string TrainY, long Rows);

/// <summary>
/// Imports train_x.dat (1024-byte faces) and train_y.dat or train_y.dat.gz (32768-byte volumes) as a FaceNet dataset.
/// Row i becomes "head" {directory}-{i:D6}, so the held-out split works as for scraped heads. Both files stream.
/// </summary>
public sealed class FaceNetImporter(DatasetBuildRunner runner, IOptions<DatasetOptions> options)
{
    private const int RowIdDigits = 6;

    /// <summary>Longest folder name: row ids ({directory}-{index}) must still be valid resource ids.</summary>
    public const int MaxDirectoryLength = ResourceIds.MaxLength - RowIdDigits - 1;

    public static string RowId(string directory, long index) => $"{directory}-{index.ToString("D" + RowIdDigits, System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>Resolves a folder name to its files under the configured root, refusing anything but a simple name.</summary>
    public ImportSource Resolve(string? directory)
    {
        var root = options.Value.ImportRoot;
        if (string.IsNullOrWhiteSpace(root))
            throw new ImportSourceException(409, "Imports are not configured", "Set Dataset:ImportRoot to the folder whose subfolders may be imported.");
        if (!ResourceIds.IsValid(directory) || directory!.Length > MaxDirectoryLength)
            throw new ImportSourceException(400, "Invalid import directory",
                $"'{directory}' is not a valid import folder name: use 1–{MaxDirectoryLength} characters of a-z, 0-9 and '-', not starting with '-'.");
        var rootPath = Path.GetFullPath(root);
        var path = Path.GetFullPath(Path.Combine(rootPath, directory));
        // The name rules already exclude separators and "..": this is the second lock on the same door.
        if (!string.Equals(Path.GetDirectoryName(path), rootPath.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            throw new ImportSourceException(400, "Invalid import directory", $"'{directory}' does not name a folder directly under the import root.");
        if (!Directory.Exists(path))
            throw new ImportSourceException(404, "Unknown import directory", $"There is no folder '{directory}' under the import root.");
        var x = Path.Combine(path, "train_x.dat");
        if (!File.Exists(x))
            throw new ImportSourceException(404, "Import files missing", $"Folder '{directory}' has no train_x.dat.");
        var y = Path.Combine(path, "train_y.dat");
        if (!File.Exists(y)) y += ".gz";
        if (!File.Exists(y))
            throw new ImportSourceException(404, "Import files missing", $"Folder '{directory}' has neither train_y.dat nor train_y.dat.gz.");
        long bytes = new FileInfo(x).Length;
        if (bytes == 0 || bytes % FaceTo3DFiles.FaceBytes != 0)
            throw new ImportSourceException(400, "Import files malformed",
                $"{directory}/train_x.dat has {bytes} bytes: not a positive whole number of {FaceTo3DFiles.FaceBytes}-byte faces.");
        return new ImportSource(directory, x, y, bytes / FaceTo3DFiles.FaceBytes);
    }

    public Task<BuildOutcome> ImportAsync(ImportFaceNetDataset command, CancellationToken ct)
    {
        DatasetBlobLayout.DatasetId(command.DatasetId);
        var source = Resolve(command.Directory);
        return runner.RunAsync(command.DatasetId, DatasetKind.FaceNet, command.HeldOutFraction, async (session, token) =>
        {
            await session.ReportAsync(0, source.Rows, token, force: true);
            using var faces = FaceTo3DFiles.OpenTrainX(source.TrainX);
            using var volumes = FaceTo3DFiles.OpenTrainY(source.TrainY);
            var face = new byte[FaceTo3DFiles.FaceBytes];
            var volume = new byte[FaceTo3DFiles.VolumeBytes];
            long row = 0;
            while (faces.TryRead(face))
            {
                if (!volumes.TryRead(volume))
                    throw new InvalidDataException($"{source.Directory}: train_x.dat has {source.Rows} faces but {Path.GetFileName(source.TrainY)} ends after {row} volumes.");
                await session.Assembler.AddFaceNetHeadAsync(RowId(source.Directory, row), face, volume, token);
                await session.ReportAsync(++row, source.Rows, token);
            }
            if (volumes.TryRead(volume))
                throw new InvalidDataException($"{source.Directory}: {Path.GetFileName(source.TrainY)} has more volumes than the {row} faces of train_x.dat.");
            return new ManifestDetails(DatasetOrigin.Import, ImportDirectory: source.Directory);
        }, ct);
    }
}
