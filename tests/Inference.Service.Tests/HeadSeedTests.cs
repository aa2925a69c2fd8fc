using Inference.Service.Apis;

namespace Inference.Service.Tests;

public class HeadSeedTests
{
    [Theory]
    [InlineData(0.25, 0.25)]
    [InlineData(0.0, 0.0)]
    [InlineData(1.0, 0.6180340)]
    [InlineData(2.0, 0.2360680)]
    public void Whole_numbers_map_into_the_original_seed_range(double seed, double expected)
    {
        var headSeed = HeadsApi.HeadSeedOf(seed);
        Assert.InRange(headSeed, 0f, 1f);
        Assert.Equal(expected, headSeed, 5);
    }
}
