namespace Heads.Faults.Tests;

/// <summary>
/// What every training fault starts from: a FaceNet2 dataset in storage, two trainer replicas as their own processes
/// (replica-a, replica-b) and a bus observer, all on one infrastructure.
/// </summary>
internal sealed class TwoReplicaRun : IAsyncDisposable
{
    private TwoReplicaRun(TrainingJobs jobs, string dataset, ServiceProcess a, ServiceProcess b, BusObserver observer) =>
        (Jobs, Dataset, A, B, Observer) = (jobs, dataset, a, b, observer);

    public TrainingJobs Jobs { get; }
    public string Dataset { get; }
    public ServiceProcess A { get; }
    public ServiceProcess B { get; }
    public BusObserver Observer { get; }

    /// <summary>Both replicas' output, for a failure message.</summary>
    public string Logs() => $"--- replica-a ---\n{A.Output}\n--- replica-b ---\n{B.Output}";

    public static async Task<TwoReplicaRun> StartAsync(RealInfrastructure infrastructure)
    {
        var jobs = new TrainingJobs(infrastructure);
        var dataset = await jobs.WriteDatasetAsync();
        var replicas = await Task.WhenAll(ServiceProcess.StartTrainerAsync(infrastructure, "replica-a"), ServiceProcess.StartTrainerAsync(infrastructure, "replica-b"));
        try
        {
            return new TwoReplicaRun(jobs, dataset, replicas[0], replicas[1], await BusObserver.StartAsync(infrastructure));
        }
        catch
        {
            await replicas[0].DisposeAsync();
            await replicas[1].DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Observer.DisposeAsync();
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
