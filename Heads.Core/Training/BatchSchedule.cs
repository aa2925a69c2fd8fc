namespace Heads.Core.Training;

/// <summary>
/// The order samples are seen in: a fresh seeded shuffle each epoch cut into batches (the last one may be short), as
/// Keras' fit(shuffle=True). Every voxel net of an ensemble, and each net trained alone with the same seed, sees the same batches.
/// </summary>
public static class BatchSchedule
{
    public static IReadOnlyList<int[]> Create(int sampleCount, int batchSize, int epochs, int seed)
    {
        if (sampleCount < 1) throw new ArgumentOutOfRangeException(nameof(sampleCount), sampleCount, "Training needs at least one sample.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "Epochs must not be negative.");
        var rng = new Random(seed);
        var order = Enumerable.Range(0, sampleCount).ToArray();
        var batches = new List<int[]>(epochs * ((sampleCount + batchSize - 1) / batchSize));
        for (int e = 0; e < epochs; e++)
        {
            rng.Shuffle(order);
            for (int s = 0; s < sampleCount; s += batchSize)
                batches.Add(order[s..Math.Min(sampleCount, s + batchSize)]);
        }
        return batches;
    }

    public static int StepsPerEpoch(int sampleCount, int batchSize) => (sampleCount + batchSize - 1) / batchSize;
}
