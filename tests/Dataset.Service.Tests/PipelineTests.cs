using Heads.Core.Contracts;

namespace Dataset.Service.Tests;

/// <summary>The default pipeline's dataset step: a completed scrape becomes a FaceNet and a HeadsNet dataset.</summary>
public sealed class PipelineTests(ServiceFixture service)
{
    [Fact]
    public async Task A_completed_scrape_builds_both_datasets_once_its_heads_are_processed()
    {
        string[] heads = ["pipe-00", "pipe-01", "pipe-02"];
        var scrapeId = Guid.NewGuid();
        // Announce the scrape's end first: the step must wait for heads that are still being processed.
        await service.Bus.Publish(new ScrapeCompleted { ScrapeId = scrapeId, Source = "test", HeadIds = heads, Failed = 0, CompletedAt = DateTimeOffset.UtcNow },
            TestContext.Current.CancellationToken);
        await service.ProcessHeadsAsync(heads);

        var suffix = scrapeId.ToString("N")[..12];
        var faceNet = await service.WaitForAsync(() => service.Built.FirstOrDefault(b => b.DatasetId == $"facenet-{suffix}"), "FaceNet dataset", 60);
        var headsNet = await service.WaitForAsync(() => service.Built.FirstOrDefault(b => b.DatasetId == $"headsnet-{suffix}"), "HeadsNet dataset", 60);
        Assert.Equal(DatasetKind.FaceNet, faceNet.Kind);
        Assert.Equal(DatasetKind.HeadsNet, headsNet.Kind);
        Assert.True(faceNet.HeadCount >= heads.Length);
        Assert.True(headsNet.TrainRows + headsNet.HeldOutRows > 0);
    }
}
