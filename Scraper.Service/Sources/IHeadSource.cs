namespace Scraper.Service.Sources;

/// <summary>One head from a source: the photo (as the source gave it) and the mesh as binary PLY.</summary>
public sealed record SourcedHead(string HeadId, long? Seed, byte[] FacePhoto, string FaceContentType, byte[] MeshPly);

/// <summary>Where heads come from: synthetic (default), http (image URL + reconstruction endpoint) or folder.</summary>
public interface IHeadSource
{
    string Name { get; }

    /// <summary>The id head <paramref name="index"/> of a request will have, when it is known before producing it (seeded sources), so repeats skip work.</summary>
    string? PredictHeadId(long seed, int index);

    Task<SourcedHead> ProduceAsync(long seed, int index, CancellationToken cancellationToken);
}

/// <summary>A source failed in a way retrying will not fix (unreachable endpoint after retries, bad data).</summary>
public sealed class HeadSourceException(string message, Exception? inner = null) : Exception(message, inner);
