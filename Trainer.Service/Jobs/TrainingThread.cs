namespace Trainer.Service.Jobs;

/// <summary>
/// Runs the synchronous engine (training, evaluation) on a thread of its own rather than a thread-pool thread: a run
/// blocks its thread for minutes to hours, and the engine's Parallel.For workers and the service's async I/O need the pool.
/// </summary>
public static class TrainingThread
{
    public static Task<T> RunAsync<T>(Func<T> work, CancellationToken ct) =>
        Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
