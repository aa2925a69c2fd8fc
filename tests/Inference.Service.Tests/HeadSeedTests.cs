using Heads.Core.Models;

namespace Inference.Service.Tests;

public class HeadSeedTests
{
    [Theory]
    [InlineData("0.25", 0.25)]
    [InlineData("0", 0.0)]
    [InlineData("-0", 0.0)]
    [InlineData("1", 0.6180340)]
    [InlineData("2", 0.2360680)]
    [InlineData("1e0", 0.6180340)]
    public void Whole_numbers_map_into_the_original_seed_range(string text, double expected)
    {
        Assert.True(HeadsNetSeed.TryParse(text, out var seed, out var error), error);
        Assert.InRange(seed, 0f, 1f);
        Assert.True(seed < 1f);
        Assert.Equal(expected, seed, 5);
        Assert.False(float.IsNegative(seed), "−0 must read as 0");
    }

    [Fact]
    public void Huge_whole_numbers_do_not_alias_seed_zero_or_each_other()
    {
        var seeds = new List<float>();
        foreach (var text in new[] { "9223372036854775808", "9223372036854775809", "18446744073709551615", "9007199254740993" })
        {
            Assert.True(HeadsNetSeed.TryParse(text, out var s, out var e), e);
            seeds.Add(s);
        }
        Assert.True(HeadsNetSeed.TryParse("0", out var zero, out _));
        Assert.DoesNotContain(zero, seeds);
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
    }

    [Fact]
    public void A_fraction_just_below_one_stays_below_one()
    {
        Assert.True(HeadsNetSeed.TryParse("0.9999999999999999", out var seed, out _));
        Assert.True(seed < 1f);
    }

    [Theory]
    [InlineData("1,2")]
    [InlineData("0x10")]
    [InlineData("NaN")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("1.5")]
    [InlineData("-1")]
    [InlineData("18446744073709551616")]
    [InlineData("1e300")]
    [InlineData("Infinity")]
    public void Anything_else_is_refused_with_the_rule(string text)
    {
        Assert.False(HeadsNetSeed.TryParse(text, out _, out var error));
        Assert.Contains("seed", error);
    }
}
