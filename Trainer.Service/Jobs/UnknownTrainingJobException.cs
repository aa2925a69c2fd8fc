namespace Trainer.Service.Jobs;

/// <summary>
/// A message names a job that was never recorded (no models/{job}/job.json). A KeyNotFoundException, which the bus's retry
/// policy does not retry: the message goes to the error queue with this reason instead of being retried or dropped.
/// </summary>
public sealed class UnknownTrainingJobException(Guid jobId)
    : KeyNotFoundException($"Training job {jobId} does not exist (no models/{jobId}/job.json).")
{
    public Guid JobId { get; } = jobId;
}
