using System.Globalization;
using Heads.Core.Contracts;

namespace Heads.Core.Training.Jobs;

/// <summary>
/// The ranges a training request's numbers must fall in, checked where a request enters (HTTP and the bus) so an absurd
/// value is refused at once with its bound instead of failing, or quietly training garbage, minutes later.
/// </summary>
public static class TrainingLimits
{
    public const int MaxEpochs = 10_000;
    public const int MaxBatchSize = 65_536;
    public const int MaxSampleLimit = 1_000_000;
    public const double MinLearningRate = 1e-8;
    public const double MaxLearningRate = 1.0;
    /// <summary>At most 512 shards a job.</summary>
    public const int MinShardSize = 64;
    public const int MaxShardSize = 32_768;

    public static void Check(StartTraining command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Range("epochs", command.Epochs, 1, MaxEpochs);
        Range("batchSize", command.BatchSize, 1, MaxBatchSize);
        Range("sampleLimit", command.SampleLimit, 1, MaxSampleLimit);
        Range("shardSize", command.ShardSize, MinShardSize, MaxShardSize);
        if (command.LearningRate is double lr && !(lr >= MinLearningRate && lr <= MaxLearningRate))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"learningRate must be {MinLearningRate:G}..{MaxLearningRate:G}; it was {lr:G}."));
    }

    private static void Range(string name, int? value, int min, int max)
    {
        if (value is int v && (v < min || v > max))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} must be {min}..{max}; it was {v}."));
    }
}
