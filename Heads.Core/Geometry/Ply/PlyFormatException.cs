namespace Heads.Core.Geometry.Ply;

/// <summary>
/// A PLY stream that cannot be read: bad magic or header, counts that do not match the body, truncation,
/// non-finite coordinates, out-of-range indices or limits exceeded. The message names what and where.
/// </summary>
public sealed class PlyFormatException : FormatException
{
    public PlyFormatException(string message, long? byteOffset = null, long? line = null, string? element = null, long? index = null, Exception? inner = null)
        : base(Compose(message, byteOffset, line, element, index), inner)
    {
        ByteOffset = byteOffset;
        Line = line;
        Element = element;
        Index = index;
    }

    /// <summary>Absolute byte offset in the stream where the problem was found, when known.</summary>
    public long? ByteOffset { get; }

    /// <summary>1-based line number (header, or ASCII body), when known.</summary>
    public long? Line { get; }

    /// <summary>The element being read (vertex, face, ...), when the problem is in the body.</summary>
    public string? Element { get; }

    /// <summary>0-based row of <see cref="Element"/>, when known.</summary>
    public long? Index { get; }

    private static string Compose(string message, long? byteOffset, long? line, string? element, long? index)
    {
        var where = new List<string>(4);
        if (element is not null) where.Add(index is { } i ? $"element '{element}' row {i}" : $"element '{element}'");
        if (line is { } l) where.Add($"line {l}");
        if (byteOffset is { } b) where.Add($"byte offset {b}");
        return where.Count == 0 ? "PLY: " + message : $"PLY: {message} ({string.Join(", ", where)})";
    }
}

/// <summary>Limits that keep a hostile or broken PLY from exhausting memory or time.</summary>
public sealed record PlyReadOptions
{
    public static PlyReadOptions Default { get; } = new();

    /// <summary>Most vertices accepted (header count).</summary>
    public int MaxVertices { get; init; } = 20_000_000;

    /// <summary>Most faces accepted (header count).</summary>
    public int MaxFaces { get; init; } = 40_000_000;

    /// <summary>Most vertices in one polygon (the list count of one face).</summary>
    public int MaxPolygonVertices { get; init; } = 1024;

    /// <summary>Longest header line in bytes.</summary>
    public int MaxHeaderLineLength { get; init; } = 4096;

    /// <summary>Most header lines, end_header included.</summary>
    public int MaxHeaderLines { get; init; } = 10_000;

    /// <summary>Whether coordinates must be finite (normals too).</summary>
    public bool RequireFiniteCoordinates { get; init; } = true;
}
