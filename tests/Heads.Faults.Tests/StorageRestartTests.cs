using System.Diagnostics;
using Azure.Storage.Blobs;

namespace Heads.Faults.Tests;

/// <summary>
/// Azurite stopped and started again (same port, same --location, so stored blobs survive) while the dataset service is
/// in the middle of a FaceNet build: the build still commits, with every head in exactly one row and every file
/// matching its manifest's SHA-256. A short outage is ridden out by the Azure SDK's retries; a long one fails the
/// build attempt, and the bus's redelivery must be able to build it again.
/// </summary>
[Trait("Category", "Faults")]
public sealed class StorageRestartTests : IAsyncLifetime
{
    private const int Heads = 1500;
    private readonly RealInfrastructure _infrastructure = new();

    public ValueTask InitializeAsync() => _infrastructure.InitializeAsync();

    public ValueTask DisposeAsync() => _infrastructure.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    public async Task A_dataset_build_survives_a_storage_restart(int secondsDown)
    {
        var ct = TestContext.Current.CancellationToken;
        var blobs = new BlobServiceClient(_infrastructure.BlobsConnectionString);
        var prefix = "fh-";
        var heads = ProcessedHeads.Make(prefix, Heads);
        var setup = Stopwatch.StartNew();
        await ProcessedHeads.StoreAsync(blobs, heads);
        var stored = setup.Elapsed;
        await using var dataset = await ServiceProcess.StartAsync("Dataset.Service", "dataset", _infrastructure, new Dictionary<string, string>
        {
            ["Dataset:ProgressInterval"] = "00:00:00.100",
            // Small blocks: the build stages many, so the outage lands between storage calls of a running build.
            ["Dataset:BlockSizeBytes"] = (256 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Dataset.Service"] = "Information",
        });
        await using var observer = await BusObserver.StartAsync(_infrastructure);
        string Logs() => $"--- dataset ---\n{dataset.Output}\n--- infrastructure ---\n{_infrastructure.Log[^Math.Min(_infrastructure.Log.Length, 4000)..]}";

        var datasetId = $"faults-{Guid.NewGuid():N}"[..24];
        var clock = Stopwatch.StartNew();
        await ProcessedHeads.RequestBuildAsync(dataset, datasetId, prefix);
        (long Done, long? Total)? progress = null;
        await Polling.UntilAsync(async () => (progress = await ProcessedHeads.ProgressAsync(blobs, datasetId)) is { } p && p.Done >= Heads / 10 && p.Done < Heads / 2,
            TimeSpan.FromSeconds(60), "the build to get under way", () => $"progress {progress}\n{Logs()}");

        var stoppedAt = clock.Elapsed; // from the stop request until the port is open again
        await _infrastructure.StopAsync("azurite");
        await Task.Delay(TimeSpan.FromSeconds(secondsDown), ct);
        await _infrastructure.StartAzuriteAsync();
        var restartedAt = clock.Elapsed;

        await Polling.UntilAsync(() => Task.FromResult(observer.DatasetsBuilt.Any(e => e.DatasetId == datasetId)), TimeSpan.FromSeconds(150),
            $"DatasetBuilt for {datasetId}", Logs);
        var builtAt = clock.Elapsed;

        var manifest = await StoredArtifacts.VerifyFaceNetDatasetAsync(blobs.GetBlobContainerClient("datasets"), datasetId, heads);
        Assert.Equal(Heads, manifest.HeadIds.Count);
        await Task.Delay(1000, ct); // a second DatasetBuilt would arrive in this time
        Assert.Single(observer.DatasetsBuilt, e => e.DatasetId == datasetId);
        Assert.Empty(observer.BuildFaults);
        // Every head stored before the restart is still there afterwards.
        int headBlobs = 0;
        await foreach (var _ in blobs.GetBlobContainerClient("datasets").GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None,
            Azure.Storage.Blobs.Models.BlobStates.None, "heads/" + prefix, ct)) headBlobs++;
        Assert.Equal(Heads * 3, headBlobs);

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Heads} heads stored in {stored.TotalSeconds:F1} s; storage stopped at {stoppedAt.TotalSeconds:F1} s with {progress?.Done}/{Heads} heads written, " +
            $"back at {restartedAt.TotalSeconds:F1} s ({(restartedAt - stoppedAt).TotalSeconds:F1} s down); dataset committed at {builtAt.TotalSeconds:F1} s, " +
            $"{(builtAt - restartedAt).TotalSeconds:F1} s after storage came back");
    }
}
