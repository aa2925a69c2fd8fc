using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Heads.Core.Datasets;

/// <summary>
/// The HeadsNet seed input of a head, in [0, 1), derived from its id alone: the same head gets the same seed in every
/// dataset and on every machine, and no registry of seeds is needed. 24 bits of SHA-256, so the value is exact in float32.
/// </summary>
public static class HeadSeed
{
    private const float TwoTo24 = 16_777_216f;

    public static float For(string headId)
    {
        ArgumentException.ThrowIfNullOrEmpty(headId);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes("headsnet-seed/" + headId), hash);
        uint top24 = BinaryPrimitives.ReadUInt32BigEndian(hash) >> 8;
        return top24 / TwoTo24;
    }
}

/// <summary>
/// Which heads are held out for evaluation: a head is held out when a hash of its id falls below the fraction. The
/// decision depends on the id only, so adding heads to a later dataset never moves an earlier head between partitions.
/// </summary>
public static class HeldOutSplit
{
    public const double DefaultFraction = 0.1;

    public static void ValidateFraction(double fraction)
    {
        if (!(fraction >= 0 && fraction < 1))
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The held-out fraction must be in [0, 1).");
    }

    /// <summary>The head's position in [0, 1) on the split axis; held out when below the fraction.</summary>
    public static double Position(string headId)
    {
        ArgumentException.ThrowIfNullOrEmpty(headId);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes("held-out/" + headId), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    public static bool IsHeldOut(string headId, double fraction)
    {
        ValidateFraction(fraction);
        return fraction > 0 && Position(headId) < fraction;
    }

    public static DatasetPartition PartitionOf(string headId, double fraction) =>
        IsHeldOut(headId, fraction) ? DatasetPartition.HeldOut : DatasetPartition.Train;
}
