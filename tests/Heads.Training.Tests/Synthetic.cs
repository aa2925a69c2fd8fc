using Heads.Core.Models;
using Heads.Core.Training;

namespace Heads.Training.Tests;

/// <summary>Small learnable FaceNet data: each face is random; voxel v's value is a fixed linear mix of a few pixels,
/// except voxels ≥ <c>learnable</c>, which are constant (value v % 7) over the whole set.</summary>
internal static class Synthetic
{
    public static readonly DenseArchitecture TinyVoxelNet = new(1024, 2, 4, 1, Activation.Gelu);

    public static FaceNetTrainingSet FaceNetSet(int samples, int learnable, int seed = 1)
    {
        var rng = new Random(seed);
        var faces = new byte[samples * 1024];
        rng.NextBytes(faces);
        var volumes = new byte[samples * 32768];
        for (int s = 0; s < samples; s++)
            for (int v = 0; v < 32768; v++)
            {
                int value = v < learnable
                    ? (faces[s * 1024 + (v * 37) % 1024] + faces[s * 1024 + (v * 101 + 5) % 1024]) / 2
                    : v % 7;
                volumes[s * 32768 + v] = (byte)value;
            }
        return new FaceNetTrainingSet(faces, volumes, "synthetic");
    }

    public static FaceNet2Options TinyFaceNet2(int epochs = 3) => new()
    {
        Architecture = TinyVoxelNet,
        Epochs = epochs,
        BatchSize = 4,
        SampleLimit = null,
        Optimizer = new OptimizerOptions { LearningRate = 0.01 },
        Threads = 2,
    };
}
