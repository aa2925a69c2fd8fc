using Heads.Core.Models;
using Heads.Core.Training;
using static TorchSharp.torch;

namespace Heads.Training.Tests;

public class OptimizerTests
{
    [Theory]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.Adamax)]
    [InlineData(OptimizerKind.Nadam)]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Momentum)]
    [InlineData(OptimizerKind.RmsProp)]
    public void InPlaceOptimiserMatchesTorchOptim(OptimizerKind kind)
    {
        var architecture = new DenseArchitecture(3, 2, 37, 5, Activation.Selu); // 37: odd sizes exercise the scalar tails
        var options = new OptimizerOptions { Kind = kind, LearningRate = kind is OptimizerKind.Sgd or OptimizerKind.Momentum ? 0.05 : 1e-3 };
        using var ours = new DenseNetwork(architecture, 5);
        using var reference = new DenseNetwork(architecture, 5);
        using var optimizer = new InPlaceOptimizer(ours.parameters(), options, threads: 2);
        using var torchOptimizer = EnsembleEquivalenceTests.TorchOptimizer(reference, options);
        using var generator = new Generator(3);
        for (int step = 0; step < 6; step++)
        {
            using var scope = NewDisposeScope();
            var x = rand([8, 3], generator: generator);
            var y = rand([8, 5], generator: generator);
            nn.functional.mse_loss(ours.forward(x), y).backward();
            optimizer.Step();
            torchOptimizer.zero_grad();
            nn.functional.mse_loss(reference.forward(x), y).backward();
            torchOptimizer.step();
        }
        Assert.Equal(6, optimizer.StepCount);
        foreach (var (a, b) in ours.parameters().Zip(reference.parameters()))
            EnsembleEquivalenceTests.AssertClose(b, a, kind.ToString());
    }

    [Fact]
    public void InvalidHyperParametersAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerOptions { LearningRate = 0 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerOptions { Beta1 = 1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerOptions { Kind = (OptimizerKind)99 }.Validate());
    }
}
