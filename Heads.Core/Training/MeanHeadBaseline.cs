using Heads.Core.Models;
using static TorchSharp.torch;

namespace Heads.Core.Training;

/// <summary>Predicts the average training volume whatever the face.</summary>
public sealed class MeanHeadBaseline : IVolumePredictor
{
    private readonly byte[] volume;

    public MeanHeadBaseline(FaceNetTrainingSet train)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        var sums = new long[FaceNetTrainingSet.VolumeVoxels];
        for (int s = 0; s < train.Count; s++)
        {
            var v = train.Volume(s);
            for (int i = 0; i < sums.Length; i++) sums[i] += v[i];
        }
        using var scope = NewDisposeScope();
        var mean = tensor(sums.Select(x => (float)(x / 255.0 / train.Count)).ToArray());
        volume = VolumePostProcessing.ToByteArray(mean);
    }

    public ReadOnlySpan<byte> Volume => volume;

    public byte[] PredictVolumes(ReadOnlySpan<byte> faces)
    {
        if (faces.Length % FaceNetTrainingSet.FacePixels != 0) throw new ArgumentException($"Faces must be N × {FaceNetTrainingSet.FacePixels} bytes.", nameof(faces));
        int n = faces.Length / FaceNetTrainingSet.FacePixels;
        var output = new byte[(long)n * volume.Length];
        for (int i = 0; i < n; i++) volume.CopyTo(output, (long)i * volume.Length);
        return output;
    }
}
