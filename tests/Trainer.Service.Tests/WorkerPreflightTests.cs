using Heads.Core.Contracts;
using Trainer.Service.Cluster;

namespace Trainer.Service.Tests;

/// <summary>
/// What a worker says at start when it cannot join, against the real broker and storage of the tests: another build's
/// versions, no shared stack in storage, an unreachable broker, a wrong password. (The second-host test in
/// Heads.Cluster.Tests runs the same checks from inside a network namespace.)
/// </summary>
public sealed class WorkerPreflightTests(RealInfrastructure infrastructure)
{
    [Fact]
    public async Task Another_builds_versions_are_refused_with_both_versions_named()
    {
        var container = Storage.Blobs(infrastructure).GetBlobContainerClient(HeadsCompatibility.ContainerName);
        await container.CreateIfNotExistsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var blob = container.GetBlobClient(HeadsCompatibility.BlobName);
        var other = HeadsCompatibility.Current with { Contracts = HeadsCompatibility.ContractVersion + 1, Build = "other" };
        await blob.UploadAsync(BinaryData.FromBytes(other.ToJson()), overwrite: true, TestContext.Current.CancellationToken);
        try
        {
            var failure = await WorkerPreflight.CheckStorageAsync(infrastructure.BlobsConnectionString);
            Assert.NotNull(failure);
            Assert.Contains($"message contracts v{HeadsCompatibility.ContractVersion},", failure);
            Assert.Contains($"the shared stack runs message contracts v{HeadsCompatibility.ContractVersion + 1}", failure);

            await blob.UploadAsync(BinaryData.FromBytes(HeadsCompatibility.Current.ToJson()), overwrite: true, TestContext.Current.CancellationToken);
            Assert.Null(await WorkerPreflight.CheckStorageAsync(infrastructure.BlobsConnectionString));

            await blob.DeleteAsync(cancellationToken: TestContext.Current.CancellationToken);
            Assert.Contains("start the first machine's AppHost in shared mode", await WorkerPreflight.CheckStorageAsync(infrastructure.BlobsConnectionString));
        }
        finally
        {
            await blob.UploadAsync(BinaryData.FromBytes(HeadsCompatibility.Current.ToJson()), overwrite: true, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task An_unreachable_broker_and_a_wrong_password_are_named_as_such()
    {
        Assert.Null(await WorkerPreflight.CheckBrokerAsync(infrastructure.RabbitMqConnectionString));
        var unreachable = await WorkerPreflight.CheckBrokerAsync($"amqp://guest:guest@127.0.0.1:{RealInfrastructure.FreePort()}/");
        Assert.Contains("is unreachable", unreachable);
        const string notGuests = "not-guests-own";
        var wrongPassword = new UriBuilder("amqp", "127.0.0.1", infrastructure.AmqpPort, "/") { UserName = "guest", Password = notGuests }.Uri;
        var wrong = await WorkerPreflight.CheckBrokerAsync(wrongPassword.ToString());
        Assert.Contains("refused user 'guest': wrong user or password", wrong);
        Assert.Contains("must be an amqp:// URI", await WorkerPreflight.CheckBrokerAsync("not a uri"));
        Assert.Contains("unreachable", await WorkerPreflight.CheckStorageAsync(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[64])};BlobEndpoint=http://127.0.0.1:{RealInfrastructure.FreePort()}/devstoreaccount1;"));
    }
}
