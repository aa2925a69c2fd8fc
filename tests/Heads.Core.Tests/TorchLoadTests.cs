using static TorchSharp.torch;

namespace Heads.Core.Tests;

public class TorchLoadTests
{
    [Fact]
    public void LibTorchLoadsAndMultiplies()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        var b = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
