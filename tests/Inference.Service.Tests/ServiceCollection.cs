namespace Inference.Service.Tests;

/// <summary>
/// Test classes that start a service host run one after another: Heads.ServiceDefaults names each process's ping
/// queue after the machine and process id, and that exclusive queue cannot be declared by two hosts in one process.
/// Each class's host is disposed before the next class starts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ServiceCollection
{
    public const string Name = "service hosts";
}

/// <summary>The tests against the host serving FaceNet3, FaceNet2 and HeadsNet (one host for all of them; split over files by area).</summary>
[Collection(ServiceCollection.Name)]
public sealed partial class ServingTests(ServingHost host) : IClassFixture<ServingHost>;
