using System.Diagnostics;
using Heads.Core.Datasets;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;
using Heads.Testing.Malformed;

namespace Heads.Robustness.Tests;

/// <summary>
/// Every corpus file through the decoders in-process, as the services call them: the expected refusal with its reason
/// (and nothing else), or a clean read for the valid oddities; none hangs (the bombs are refused before they expand).
/// </summary>
public sealed class CorpusDecoderTests
{
    private static readonly byte[] GoodPhoto = MalformedImages.Valid("jpeg");

    /// <summary>A hang check, not a speed target: the slowest file takes well under a second on a quiet machine.</summary>
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_corpus_has_at_least_30_malformed_files_of_each_kind()
    {
        Assert.True(MalformedImages.All.Count(c => !c.Decodable || c.HttpStatus != 200) >= 30, $"{MalformedImages.All.Count} images");
        Assert.True(MalformedPlys.All.Count(c => c.Verdict != MeshVerdict.Accepted) >= 30, $"{MalformedPlys.All.Count} PLYs");
        Assert.Equal(MalformedImages.All.Count, MalformedImages.All.Select(c => c.Name).Distinct().Count());
        Assert.Equal(MalformedPlys.All.Count, MalformedPlys.All.Select(c => c.Name).Distinct().Count());
    }

    public static TheoryData<string> Images => [.. MalformedImages.All.Select(c => c.Name)];

    public static TheoryData<string> Plys => [.. MalformedPlys.All.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Images))]
    public void Each_image_is_refused_with_its_reason_or_read(string name)
    {
        var image = MalformedImages.Get(name);
        var clock = Stopwatch.StartNew();
        var error = Record.Exception(() => FaceImage.Load(image.Bytes));
        Assert.True(clock.Elapsed < HangLimit, $"{name} took {clock.Elapsed.TotalSeconds:F1} s");
        if (image.Decodable)
        {
            Assert.Null(error);
            return;
        }
        var refused = Assert.IsType<FaceImageException>(error);
        Assert.Equal(image.Failure, refused.Reason);
        Assert.Contains(image.Reason, refused.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Plys))]
    public void Each_ply_is_refused_with_its_reason_or_read(string name)
    {
        var ply = MalformedPlys.Get(name);
        var clock = Stopwatch.StartNew();
        var error = Record.Exception(() => PlyReader.Read(new MemoryStream(ply.Bytes)));
        Assert.True(clock.Elapsed < HangLimit, $"{name} took {clock.Elapsed.TotalSeconds:F1} s");
        if (ply.Verdict != MeshVerdict.Rejected)
        {
            Assert.Null(error);
            return;
        }
        var refused = Assert.IsType<PlyFormatException>(error);
        Assert.Contains(ply.Reason, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Plys))]
    public void Each_ply_becomes_samples_only_when_it_is_a_head(string name)
    {
        var ply = MalformedPlys.Get(name);
        var error = Record.Exception(() => new HeadSampler().Sample("corpus-" + name, new MemoryStream(ply.Bytes), new MemoryStream(GoodPhoto)));
        if (ply.Verdict == MeshVerdict.Accepted)
        {
            Assert.Null(error);
            return;
        }
        var refused = Assert.IsType<HeadSampleException>(error);
        Assert.Equal(HeadSampleStage.Mesh, refused.Stage);
        Assert.Contains(ply.Reason, refused.Message, StringComparison.Ordinal);
    }
}
