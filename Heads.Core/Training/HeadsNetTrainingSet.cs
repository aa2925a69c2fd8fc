namespace Heads.Core.Training;

/// <summary>One head's training points in icosphere-index order: P × 6 floats (x, y, z, r, g, b; colours in [0, 1]).</summary>
public sealed record HeadPoints(float Seed, float[] Points);

/// <summary>HeadsNet rows: inputs N × 2 (head seed, index / count) and targets N × 6 (x, y, z, r, g, b), float32.</summary>
public sealed class HeadsNetTrainingSet
{
    public HeadsNetTrainingSet(float[] inputs, float[] targets, string id = "")
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.Length % 2 != 0) throw new ArgumentException($"Inputs must be N × 2 floats; got {inputs.Length}.", nameof(inputs));
        if (targets.Length != inputs.Length * 3) throw new ArgumentException($"{inputs.Length / 2} input rows need {inputs.Length * 3} target floats (N × 6); got {targets.Length}.", nameof(targets));
        Inputs = inputs;
        Targets = targets;
        Id = id ?? "";
    }

    public string Id { get; }

    public float[] Inputs { get; }

    public float[] Targets { get; }

    public int Count => Inputs.Length / 2;

    /// <summary>Point i of a head with P points becomes the row (seed, i / P) → its x, y, z, r, g, b, as the original.</summary>
    public static HeadsNetTrainingSet FromHeads(IEnumerable<HeadPoints> heads, string id = "")
    {
        ArgumentNullException.ThrowIfNull(heads);
        var inputs = new List<float>();
        var targets = new List<float>();
        foreach (var head in heads)
        {
            if (head.Points.Length == 0 || head.Points.Length % 6 != 0)
                throw new ArgumentException($"Head {head.Seed}: points must be P × 6 floats; got {head.Points.Length}.", nameof(heads));
            int p = head.Points.Length / 6;
            for (int i = 0; i < p; i++)
            {
                inputs.Add(head.Seed);
                inputs.Add((float)i / p);
            }
            targets.AddRange(head.Points);
        }
        return new HeadsNetTrainingSet(inputs.ToArray(), targets.ToArray(), id);
    }
}
