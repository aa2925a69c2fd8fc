using System.Globalization;
using Heads.Core.Models;

namespace Heads.Core.Training.Jobs;

/// <summary>Voxels [First, First + Count) of the 32³ volume: the unit of FaceNet2 work one trainer replica takes.</summary>
public sealed record VoxelShardRange(int First, int Count)
{
    /// <summary>"{first:D5}-{count:D5}", the stem of the shard's blob names; sorts in voxel order.</summary>
    public string Name => string.Create(CultureInfo.InvariantCulture, $"{First:D5}-{Count:D5}");

    public int Last => First + Count - 1;

    public override string ToString() => $"voxels {First}..{Last}";

    /// <summary>Parses a <see cref="Name"/>; false for anything else, including ranges outside the volume.</summary>
    public static bool TryParse(string? name, out VoxelShardRange range)
    {
        range = new VoxelShardRange(0, 0);
        if (name is not { Length: 11 } || name[5] != '-') return false;
        if (!int.TryParse(name.AsSpan(0, 5), NumberStyles.None, CultureInfo.InvariantCulture, out int first)) return false;
        if (!int.TryParse(name.AsSpan(6, 5), NumberStyles.None, CultureInfo.InvariantCulture, out int count)) return false;
        if (count < 1 || first + count > VolumePostProcessing.VolumeVoxels) return false;
        range = new VoxelShardRange(first, count);
        return true;
    }
}

/// <summary>How a FaceNet2 job splits the volume into shards: consecutive ranges of one size (the last may be shorter).</summary>
public static class VoxelShardPlan
{
    /// <summary>
    /// 2048 voxel networks with Adam state take about 1 GB (~0.47 MB each, the engine's figure), a comfortable share of
    /// a replica's memory; it also matches the engine's largest ensemble block, so a shard trains as one block.
    /// </summary>
    public const int DefaultShardSize = 2048;

    public static IReadOnlyList<VoxelShardRange> Split(int shardSize)
    {
        if (shardSize is < 1 or > VolumePostProcessing.VolumeVoxels)
            throw new ArgumentOutOfRangeException(nameof(shardSize), shardSize, $"The shard size must be 1..{VolumePostProcessing.VolumeVoxels} voxels.");
        var shards = new List<VoxelShardRange>((VolumePostProcessing.VolumeVoxels + shardSize - 1) / shardSize);
        for (int first = 0; first < VolumePostProcessing.VolumeVoxels; first += shardSize)
            shards.Add(new VoxelShardRange(first, Math.Min(shardSize, VolumePostProcessing.VolumeVoxels - first)));
        return shards;
    }

    public static int ShardCount(int shardSize) => Split(shardSize).Count;

    /// <summary>The planned shards not among <paramref name="stored"/>.</summary>
    public static IReadOnlyList<VoxelShardRange> Missing(IReadOnlyList<VoxelShardRange> plan, IEnumerable<VoxelShardRange> stored)
    {
        var have = stored.ToHashSet();
        return plan.Where(s => !have.Contains(s)).ToList();
    }

    /// <summary>Throws unless <paramref name="shards"/> cover every voxel of the volume exactly once.</summary>
    public static void CheckCoverage(IEnumerable<VoxelShardRange> shards)
    {
        int next = 0;
        foreach (var s in shards.OrderBy(s => s.First))
        {
            if (s.First < next) throw new InvalidDataException($"Shard {s} overlaps the shard before it (voxels up to {next - 1} are already covered).");
            if (s.First > next) throw new InvalidDataException($"No shard covers voxels {next}..{s.First - 1}.");
            next = s.First + s.Count;
        }
        if (next != VolumePostProcessing.VolumeVoxels)
            throw new InvalidDataException($"No shard covers voxels {next}..{VolumePostProcessing.VolumeVoxels - 1}.");
    }
}
