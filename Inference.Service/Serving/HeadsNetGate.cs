using Microsoft.Extensions.Options;

namespace Inference.Service.Serving;

/// <summary>
/// Bounds how many HeadsNet heads are sampled at once (Inference:MaxConcurrentHeads): each keeps the cores busy for
/// up to a second and holds a block of activations, so more at once only adds memory and latency.
/// </summary>
public sealed class HeadsNetGate(IOptions<InferenceOptions> options) : IDisposable
{
    private readonly SemaphoreSlim slots = new(Math.Max(1, options.Value.MaxConcurrentHeads));

    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken);
        return new Slot(slots);
    }

    public void Dispose() => slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0) slots.Release();
        }
    }
}
