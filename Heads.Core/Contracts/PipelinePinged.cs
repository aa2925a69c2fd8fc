namespace Heads.Core.Contracts;

/// <summary>A wiring probe: published by one service, consumed by every service, so one trace spans them all.</summary>
public sealed record PipelinePinged
{
    public required Guid PingId { get; init; }
    public required string Origin { get; init; }
    public required DateTimeOffset SentAt { get; init; }
}
