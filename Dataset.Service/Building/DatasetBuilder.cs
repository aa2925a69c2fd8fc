using Dataset.Service.Samples;
using Dataset.Service.Storage;
using Heads.Core.Contracts;
using Heads.Core.Datasets;
using Microsoft.Extensions.Options;

namespace Dataset.Service.Building;

/// <summary>BuildDataset → a snapshot of the processed heads (in id order, optionally filtered and limited) as a dataset.</summary>
public sealed class DatasetBuilder(DatasetBuildRunner runner, HeadSampleStore samples, IOptions<DatasetOptions> options)
{
    /// <summary>Refuses a command that can never succeed, with an <see cref="ArgumentException"/> that says why.</summary>
    public static void Validate(BuildDataset command)
    {
        ArgumentNullException.ThrowIfNull(command);
        DatasetBlobLayout.DatasetId(command.DatasetId);
        if (!Enum.IsDefined(command.Kind)) throw new ArgumentException($"Unknown dataset kind {(int)command.Kind}: use FaceNet or HeadsNet.");
        if (command.Limit is < 1) throw new ArgumentException($"limit must be at least 1; it was {command.Limit}.");
        if (command.HeadIdPrefix is { Length: > 0 } prefix && (prefix.Length > ResourceIds.MaxLength || !prefix.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-')))
            throw new ArgumentException($"'{prefix}' is not a valid head id prefix: use up to {ResourceIds.MaxLength} characters of a-z, 0-9 and '-'.");
        if (!(command.HeldOutFraction >= 0 && command.HeldOutFraction < 1))
            throw new ArgumentException($"heldOutFraction must be in [0, 1); it was {command.HeldOutFraction}.");
    }

    /// <summary>The heads a build would take right now.</summary>
    public async Task<List<string>> SelectHeadsAsync(string? prefix, int? limit, CancellationToken ct)
    {
        var ids = await samples.ListProcessedAsync(string.IsNullOrEmpty(prefix) ? null : prefix, ct);
        if (limit is { } n && ids.Count > n) ids.RemoveRange(n, ids.Count - n);
        return ids;
    }

    public Task<BuildOutcome> BuildAsync(BuildDataset command, CancellationToken ct)
    {
        Validate(command);
        var prefix = string.IsNullOrEmpty(command.HeadIdPrefix) ? null : command.HeadIdPrefix;
        return runner.RunAsync(command.DatasetId, command.Kind, command.HeldOutFraction, async (session, token) =>
        {
            var ids = await SelectHeadsAsync(prefix, command.Limit, token);
            if (ids.Count == 0)
                throw new InvalidDataException(prefix is null
                    ? $"Dataset '{command.DatasetId}' cannot be built: no heads have been processed yet."
                    : $"Dataset '{command.DatasetId}' cannot be built: no processed head id starts with '{prefix}'.");
            await session.ReportAsync(0, ids.Count, token, force: true);
            if (command.Kind == DatasetKind.FaceNet) await AddFaceNetAsync(session, ids, token);
            else await AddHeadsNetAsync(session, ids, token);
            return new ManifestDetails(DatasetOrigin.Heads, prefix, command.Limit);
        }, ct);
    }

    /// <summary>Fetches the next heads' face and volume concurrently while writing the current one, in dataset order.</summary>
    private async Task AddFaceNetAsync(BuildSession session, List<string> ids, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var window = new Queue<(string Id, Task<(byte[] Face, byte[] Volume)> Fetch)>();
        int next = 0, done = 0, concurrency = Math.Max(1, options.Value.FetchConcurrency);
        try
        {
            while (window.Count > 0 || next < ids.Count)
            {
                while (window.Count < concurrency && next < ids.Count)
                {
                    var id = ids[next++];
                    window.Enqueue((id, FetchFaceNetAsync(id, cts.Token)));
                }
                var (headId, fetch) = window.Dequeue();
                var (face, volume) = await fetch;
                await session.Assembler.AddFaceNetHeadAsync(headId, face, volume, ct);
                await session.ReportAsync(++done, ids.Count, ct);
            }
        }
        finally
        {
            if (window.Count > 0)
            {
                await cts.CancelAsync();
                foreach (var (_, fetch) in window)
                {
                    try { await fetch; } catch (Exception) when (cts.IsCancellationRequested) { }
                }
            }
        }
    }

    private async Task<(byte[] Face, byte[] Volume)> FetchFaceNetAsync(string headId, CancellationToken ct)
    {
        var face = samples.ReadFileAsync(headId, HeadSample.FaceName, ct);
        var volume = samples.ReadFileAsync(headId, HeadSample.VolumeName, ct);
        return (await face, await volume);
    }

    /// <summary>Streams each head's rows into the files; the next head's download starts while the current one is copied.</summary>
    private async Task AddHeadsNetAsync(BuildSession session, List<string> ids, CancellationToken ct)
    {
        Task<Stream>? opening = samples.OpenFileAsync(ids[0], HeadSample.HeadsNetName, ct);
        try
        {
            for (int i = 0; i < ids.Count; i++)
            {
                await using var rows = await opening!;
                opening = i + 1 < ids.Count ? samples.OpenFileAsync(ids[i + 1], HeadSample.HeadsNetName, ct) : null;
                await session.Assembler.AddHeadsNetHeadAsync(ids[i], rows, ct);
                await session.ReportAsync(i + 1, ids.Count, ct);
            }
        }
        finally
        {
            if (opening is not null)
            {
                try { await (await opening).DisposeAsync(); } catch (Exception) when (ct.IsCancellationRequested || opening.IsFaulted) { }
            }
        }
    }
}
