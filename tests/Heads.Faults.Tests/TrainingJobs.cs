using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using Heads.Core.Contracts;
using Heads.Core.Training.Jobs;
using Trainer.Service.Tests;

namespace Heads.Faults.Tests;

/// <summary>A small FaceNet2 job on a dataset in storage, and what the fault tests read of it while it runs.</summary>
internal sealed class TrainingJobs(RealInfrastructure infrastructure)
{
    /// <summary>1024 of the 32768 voxels vary with the face: 128 networks to train per 4096-voxel shard, the rest pruned.</summary>
    public const int Stride = 32;
    public const int ShardSize = 4096;
    public const int Shards = 32768 / ShardSize;

    public BlobServiceClient Blobs { get; } = new(infrastructure.BlobsConnectionString);
    public BlobContainerClient Models => Blobs.GetBlobContainerClient("models");

    public async Task<string> WriteDatasetAsync()
    {
        var id = $"faults-{Guid.NewGuid():N}"[..24];
        await TestDatasets.WriteFaceNetAsync(Blobs, id, train: 12, heldOut: 4, stride: Stride, seed: 7);
        return id;
    }

    /// <summary>Epochs set so one shard trains for a few seconds on one torch thread.</summary>
    public static StartTraining FaceNet2(string dataset, int epochs) => new()
    {
        JobId = Guid.NewGuid(),
        Model = TrainingModel.FaceNet2,
        DatasetId = dataset,
        Epochs = epochs,
        BatchSize = 6,
        LearningRate = 0.003,
        ShardSize = ShardSize,
        Seed = 5,
    };

    /// <summary>The running shards' progress blobs: (range, replica, fraction done, finished).</summary>
    public async Task<List<(VoxelShardRange Range, string Replica, double Fraction, bool Finished)>> ShardProgressAsync(Guid jobId)
    {
        var folder = TrainingJobLayout.ShardProgressFolder(jobId);
        var found = new List<(VoxelShardRange, string, double, bool)>();
        await foreach (var item in Models.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, folder, TestContext.Current.CancellationToken))
        {
            if (!TrainingJobLayout.TryParseRange(item.Name, folder, out var range)) continue;
            try
            {
                var json = (await Models.GetBlobClient(item.Name).DownloadContentAsync(TestContext.Current.CancellationToken)).Value.Content;
                using var doc = JsonDocument.Parse(json.ToMemory());
                var p = doc.RootElement;
                found.Add((range, p.GetProperty("replica").GetString()!, p.GetProperty("fraction").GetDouble(), p.GetProperty("finished").GetBoolean()));
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // Removed between the listing and the read.
            }
        }
        return found;
    }

    public async Task<HashSet<VoxelShardRange>> StoredShardsAsync(Guid jobId)
    {
        var folder = TrainingJobLayout.ShardsFolder(jobId);
        var ranges = new HashSet<VoxelShardRange>();
        await foreach (var item in Models.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, folder, TestContext.Current.CancellationToken))
            if (TrainingJobLayout.TryParseRange(item.Name, folder, out var range)) ranges.Add(range);
        return ranges;
    }

    /// <summary>GET /api/v1/training-jobs/{id} on a replica: the job's state (null while unknown).</summary>
    public static async Task<string?> StateAsync(ServiceProcess replica, Guid jobId)
    {
        using var response = await replica.Http.GetAsync($"/api/v1/training-jobs/{jobId}", TestContext.Current.CancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        return doc.RootElement.GetProperty("state").GetString();
    }

    /// <summary>Waits until the job is Completed (fails on Failed or Cancelled) and returns when that was seen.</summary>
    public static async Task<TimeSpan> WaitForCompletionAsync(ServiceProcess replica, Guid jobId, TimeSpan timeout, Stopwatch clock, Func<string> details)
    {
        string? state = null;
        await Polling.UntilAsync(() => Polling.Safely(async () =>
        {
            state = await StateAsync(replica, jobId);
            Assert.False(string.Equals(state, "failed", StringComparison.OrdinalIgnoreCase) || string.Equals(state, "cancelled", StringComparison.OrdinalIgnoreCase),
                $"job {jobId} ended {state}:\n{details()}");
            return string.Equals(state, "completed", StringComparison.OrdinalIgnoreCase);
        }), timeout, $"job {jobId} to complete", () => $"last state: {state ?? "unknown"}\n{details()}");
        return clock.Elapsed;
    }
}
