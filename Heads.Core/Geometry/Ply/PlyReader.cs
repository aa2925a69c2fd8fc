using System.Buffers;
using System.Runtime.CompilerServices;

namespace Heads.Core.Geometry.Ply;

/// <summary>
/// Streaming PLY reader (ascii, binary little and big endian). Reads vertex x/y/z with optional normals and
/// colours (integer 0–255 or float 0–1, alpha kept apart), faces as <c>vertex_indices</c> or <c>vertex_index</c>
/// lists (any integer types; polygons fan-triangulated); skips unknown elements and properties.
/// Output arrays are sized by the bytes that can actually be there (seekable streams) or grown as rows arrive,
/// never by a header count alone.
/// </summary>
public static class PlyReader
{
    public static PlyMesh Read(string path, PlyReadOptions? options = null)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return Read(stream, options);
    }

    public static PlyMesh Read(Stream stream, PlyReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= PlyReadOptions.Default;
        long start = stream.CanSeek ? stream.Position : 0;
        using var input = new PlyInput(stream);
        var header = ParseHeader(input, options);
        var body = new PlyBody(input, header, options, stream.CanSeek ? stream.Length - start - header.BodyOffset : -1);
        return body.Read();
    }

    public static HeadMesh ReadHeadMesh(Stream stream, PlyReadOptions? options = null) => Read(stream, options).ToHeadMesh();

    public static HeadMesh ReadHeadMesh(string path, PlyReadOptions? options = null) => Read(path, options).ToHeadMesh();

    /// <summary>Reads and validates only the header; the stream is left somewhere after it (buffered).</summary>
    public static PlyHeader ReadHeader(Stream stream, PlyReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var input = new PlyInput(stream);
        return ParseHeader(input, options ?? PlyReadOptions.Default);
    }

    private static readonly char[] Separators = [' ', '\t'];

    internal static PlyHeader ParseHeader(PlyInput input, PlyReadOptions options)
    {
        // Check the magic before looking for a line end, so a binary non-PLY file fails at once.
        if (!input.Ensure(3) || !input.Span[..3].SequenceEqual("ply"u8))
            throw new PlyFormatException("bad magic: the stream does not start with 'ply'", 0, 1);

        var header = new PlyHeader();
        bool haveFormat = false;
        PlyElement? current = null;
        int lineNumber = 0;
        while (true)
        {
            lineNumber++;
            if (lineNumber > options.MaxHeaderLines)
                throw new PlyFormatException($"header has more than {options.MaxHeaderLines} lines without end_header", input.Offset, lineNumber);
            long lineOffset = input.Offset;
            string line = input.ReadHeaderLine(options.MaxHeaderLineLength, lineNumber);
            if (lineNumber == 1)
            {
                if (line.TrimEnd() != "ply") throw new PlyFormatException($"bad magic: first line is '{Shorten(line)}', expected 'ply'", 0, 1);
                continue;
            }
            var tokens = line.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            switch (tokens[0])
            {
                case "format":
                    if (haveFormat) throw new PlyFormatException("second format line", lineOffset, lineNumber);
                    if (tokens.Length != 3) throw new PlyFormatException($"format line '{Shorten(line)}' needs a format and a version", lineOffset, lineNumber);
                    header.Format = tokens[1] switch
                    {
                        "ascii" => PlyFormat.Ascii,
                        "binary_little_endian" => PlyFormat.BinaryLittleEndian,
                        "binary_big_endian" => PlyFormat.BinaryBigEndian,
                        _ => throw new PlyFormatException($"unknown format '{Shorten(tokens[1])}'", lineOffset, lineNumber),
                    };
                    if (tokens[2] is not ("1.0" or "1")) throw new PlyFormatException($"unsupported PLY version '{Shorten(tokens[2])}'", lineOffset, lineNumber);
                    haveFormat = true;
                    break;
                case "comment":
                    header.Comments.Add(RestOfLine(line, "comment"));
                    break;
                case "obj_info":
                    header.ObjInfo.Add(RestOfLine(line, "obj_info"));
                    break;
                case "element":
                    if (tokens.Length != 3) throw new PlyFormatException($"element line '{Shorten(line)}' needs a name and a count", lineOffset, lineNumber);
                    if (!long.TryParse(tokens[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long count) || count > int.MaxValue)
                        throw new PlyFormatException($"element '{Shorten(tokens[1])}' has an invalid count '{Shorten(tokens[2])}'", lineOffset, lineNumber);
                    if (header.Find(tokens[1]) is not null) throw new PlyFormatException($"element '{Shorten(tokens[1])}' declared twice", lineOffset, lineNumber);
                    current = new PlyElement(tokens[1], (int)count);
                    header.Elements.Add(current);
                    break;
                case "property":
                    if (current is null) throw new PlyFormatException("property before any element", lineOffset, lineNumber);
                    current.Properties.Add(ParseProperty(tokens, line, lineOffset, lineNumber));
                    break;
                case "end_header":
                    if (!haveFormat) throw new PlyFormatException("end_header before any format line", lineOffset, lineNumber);
                    header.BodyOffset = input.Offset;
                    return header;
                default:
                    // Real exporters write lines such as "Created by …"; the common readers skip them, and so does this one.
                    header.Warnings.Add($"line {lineNumber}: unknown header keyword '{Shorten(tokens[0])}' skipped");
                    break;
            }
        }
    }

    private static PlyProperty ParseProperty(string[] tokens, string line, long offset, int lineNumber)
    {
        if (tokens.Length >= 2 && tokens[1] == "list")
        {
            if (tokens.Length != 5) throw new PlyFormatException($"list property '{Shorten(line)}' needs a count type, an item type and a name", offset, lineNumber);
            if (!PlyProperty.TryParseType(tokens[2], out var countType) || !PlyProperty.IsInteger(countType))
                throw new PlyFormatException($"list count type '{Shorten(tokens[2])}' is not an integer type", offset, lineNumber);
            if (!PlyProperty.TryParseType(tokens[3], out var itemType))
                throw new PlyFormatException($"unknown property type '{Shorten(tokens[3])}'", offset, lineNumber);
            return new PlyProperty(tokens[4], itemType, true, countType);
        }
        if (tokens.Length != 3) throw new PlyFormatException($"property '{Shorten(line)}' needs a type and a name", offset, lineNumber);
        if (!PlyProperty.TryParseType(tokens[1], out var type))
            throw new PlyFormatException($"unknown property type '{Shorten(tokens[1])}'", offset, lineNumber);
        return new PlyProperty(tokens[2], type);
    }

    private static string RestOfLine(string line, string keyword)
    {
        int i = line.IndexOf(keyword, StringComparison.Ordinal) + keyword.Length;
        return i < line.Length ? line[i..].Trim() : "";
    }

    internal static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "...";
}

/// <summary>The body pass: one instance per read, all state local to it.</summary>
internal sealed class PlyBody
{
    private enum Slot : sbyte { Skip = -1, X, Y, Z, NX, NY, NZ, R, G, B, A }

    private const int InitialRows = 1 << 16;
    private readonly PlyInput _input;
    private readonly PlyHeader _header;
    private readonly PlyReadOptions _options;
    private readonly long _remainingBytes;
    private readonly bool _bigEndian;
    private readonly bool _ascii;
    private readonly PlyElement _vertexElement;
    private readonly PlyElement? _faceElement;
    private readonly int _faceListIndex = -1;

    private float[] _positions = [];
    private float[]? _normals;
    private byte[]? _colors;
    private byte[]? _alpha;
    private int _vertexCapacity;
    private int[] _triangles = [];
    private int _triangleInts;

    public PlyBody(PlyInput input, PlyHeader header, PlyReadOptions options, long remainingBytes)
    {
        _input = input;
        _header = header;
        _options = options;
        _remainingBytes = remainingBytes;
        _bigEndian = header.Format == PlyFormat.BinaryBigEndian;
        _ascii = header.Format == PlyFormat.Ascii;
        _vertexElement = header.Find("vertex") ?? throw new PlyFormatException("no 'vertex' element in the header", header.BodyOffset);
        foreach (var axis in (ReadOnlySpan<string>)["x", "y", "z"])
        {
            var p = _vertexElement.Properties.Find(q => q.Name == axis);
            if (p is null || p.IsList) throw new PlyFormatException($"vertex element has no scalar '{axis}' property", header.BodyOffset, element: "vertex");
        }
        if (_vertexElement.Count > options.MaxVertices)
            throw new PlyFormatException($"{_vertexElement.Count} vertices exceed the limit of {options.MaxVertices}", header.BodyOffset, element: "vertex");
        _faceElement = header.Find("face");
        if (_faceElement is not null)
        {
            if (_faceElement.Count > options.MaxFaces)
                throw new PlyFormatException($"{_faceElement.Count} faces exceed the limit of {options.MaxFaces}", header.BodyOffset, element: "face");
            _faceListIndex = _faceElement.Properties.FindIndex(p => p.IsList && p.Name is "vertex_indices" or "vertex_index");
            if (_faceListIndex < 0) throw new PlyFormatException("face element has no 'vertex_indices' or 'vertex_index' list", header.BodyOffset, element: "face");
            if (!PlyProperty.IsInteger(_faceElement.Properties[_faceListIndex].Type))
                throw new PlyFormatException("face index list items are not an integer type", header.BodyOffset, element: "face");
        }
        CheckCountsAgainstLength();
    }

    /// <summary>When the stream length is known, counts that cannot fit in the remaining bytes fail before any allocation.</summary>
    private void CheckCountsAgainstLength()
    {
        if (_remainingBytes < 0) return;
        long need = 0;
        foreach (var e in _header.Elements)
        {
            need += e.Count * e.MinimumRowBytes(_header.Format);
            long slack = _ascii ? 1 : 0; // the last ASCII value needs no trailing separator
            if (need - slack > _remainingBytes)
                throw new PlyFormatException(
                    $"header declares {e.Count} '{e.Name}' rows; with the elements before it they need at least {need - slack} body bytes but the stream has {_remainingBytes}",
                    _header.BodyOffset, element: e.Name);
        }
    }

    public PlyMesh Read()
    {
        AllocateVertices();
        foreach (var e in _header.Elements)
        {
            if (ReferenceEquals(e, _vertexElement)) ReadVertices();
            else if (ReferenceEquals(e, _faceElement)) ReadFaces();
            else SkipElement(e);
        }
        if (_ascii)
        {
            var extra = _input.NextToken();
            if (!extra.IsEmpty) throw new PlyFormatException("unexpected data after the last element (a count that is too small?)", _input.TokenOffset, _input.Line);
        }
        else
        {
            // A binary body ends exactly after its last row (a final line end is tolerated); more bytes mean a count that lies.
            for (int i = 0; i < 2 && _input.Ensure(1) && _input.Span[0] is (byte)'\n' or (byte)'\r'; i++) _input.Advance(1);
            if (_input.Ensure(1)) throw new PlyFormatException("unexpected data after the last element (a count that is too small?)", _input.Offset);
        }
        int n = _vertexElement.Count;
        return new PlyMesh(
            _header,
            Trim(_positions, n * 3),
            _normals is null ? null : Trim(_normals, n * 3),
            _colors is null ? null : Trim(_colors, n * 3),
            _alpha is null ? null : Trim(_alpha, n),
            Trim(_triangles, _triangleInts));
    }

    private static T[] Trim<T>(T[] a, int length) => a.Length == length ? a : a.AsSpan(0, length).ToArray();

    private void AllocateVertices()
    {
        int n = _vertexElement.Count;
        // Exact when the length check has passed; otherwise start small and grow as rows arrive.
        _vertexCapacity = _remainingBytes >= 0 ? n : Math.Min(n, InitialRows);
        bool hasNormals = false, hasColors = false, hasAlpha = false;
        foreach (var p in _vertexElement.Properties)
        {
            var s = SlotOf(p);
            hasNormals |= s is Slot.NX or Slot.NY or Slot.NZ;
            hasColors |= s is Slot.R or Slot.G or Slot.B;
            hasAlpha |= s == Slot.A;
        }
        _positions = new float[_vertexCapacity * 3];
        if (hasNormals) _normals = new float[_vertexCapacity * 3];
        if (hasColors) _colors = new byte[_vertexCapacity * 3];
        if (hasAlpha) _alpha = new byte[_vertexCapacity];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowVertices(int needed)
    {
        int capacity = (int)Math.Min(_vertexElement.Count, Math.Max((long)needed, (long)_vertexCapacity * 2));
        Array.Resize(ref _positions, capacity * 3);
        if (_normals is not null) Array.Resize(ref _normals, capacity * 3);
        if (_colors is not null) Array.Resize(ref _colors, capacity * 3);
        if (_alpha is not null) Array.Resize(ref _alpha, capacity);
        _vertexCapacity = capacity;
    }

    private static Slot SlotOf(PlyProperty p)
    {
        if (p.IsList) return Slot.Skip;
        return p.Name switch
        {
            "x" => Slot.X,
            "y" => Slot.Y,
            "z" => Slot.Z,
            "nx" => Slot.NX,
            "ny" => Slot.NY,
            "nz" => Slot.NZ,
            "red" or "diffuse_red" => Slot.R,
            "green" or "diffuse_green" => Slot.G,
            "blue" or "diffuse_blue" => Slot.B,
            "alpha" or "diffuse_alpha" => Slot.A,
            _ => Slot.Skip,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte ToColorByte(double v, bool isFloat)
    {
        if (isFloat) v = Math.Round(v * 255.0);
        // NaN compares false both ways and lands on 0.
        return v >= 255 ? (byte)255 : v > 0 ? (byte)v : (byte)0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(Slot slot, int vertex, double value, bool isFloat)
    {
        switch (slot)
        {
            case Slot.X: case Slot.Y: case Slot.Z:
                _positions[vertex * 3 + (int)slot] = (float)value;
                break;
            case Slot.NX: case Slot.NY: case Slot.NZ:
                _normals![vertex * 3 + (int)slot - 3] = (float)value;
                break;
            case Slot.R: case Slot.G: case Slot.B:
                _colors![vertex * 3 + (int)slot - 6] = ToColorByte(value, isFloat);
                break;
            case Slot.A:
                _alpha![vertex] = ToColorByte(value, isFloat);
                break;
        }
    }

    private void CheckVertex(int v, long offset)
    {
        if (!_options.RequireFiniteCoordinates) return;
        int i = v * 3;
        if (!float.IsFinite(_positions[i]) || !float.IsFinite(_positions[i + 1]) || !float.IsFinite(_positions[i + 2]))
            throw new PlyFormatException($"non-finite coordinate ({_positions[i]}, {_positions[i + 1]}, {_positions[i + 2]})", offset, _ascii ? _input.Line : null, "vertex", v);
        if (_normals is not null && (!float.IsFinite(_normals[i]) || !float.IsFinite(_normals[i + 1]) || !float.IsFinite(_normals[i + 2])))
            throw new PlyFormatException($"non-finite normal ({_normals[i]}, {_normals[i + 1]}, {_normals[i + 2]})", offset, _ascii ? _input.Line : null, "vertex", v);
    }

    private PlyFormatException Truncated(PlyElement e, long row) =>
        new($"stream ended early: header declares {e.Count} '{e.Name}' rows", _input.Offset + _input.Available, _ascii ? _input.Line : null, e.Name, row);

    private void ReadVertices()
    {
        var e = _vertexElement;
        var props = e.Properties;
        int k = props.Count;
        Span<Slot> slots = stackalloc Slot[k];
        Span<bool> isFloat = stackalloc bool[k];
        for (int p = 0; p < k; p++)
        {
            slots[p] = SlotOf(props[p]);
            isFloat[p] = !PlyProperty.IsInteger(props[p].Type);
        }
        if (_ascii) ReadVerticesAscii(e, slots, isFloat);
        else if (!e.HasLists && TryReadVerticesCommonLayout(e, slots)) return;
        else if (!e.HasLists) ReadVerticesBinaryFixed(e, slots, isFloat);
        else ReadVerticesBinaryLists(e, slots, isFloat);
    }

    /// <summary>
    /// The layout nearly every writer uses: float x, y, z (and nx, ny, nz) and uchar colours, in any order among other
    /// fixed-size properties. Reads each row with direct loads instead of per-property dispatch.
    /// </summary>
    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryReadVerticesCommonLayout(PlyElement e, ReadOnlySpan<Slot> slots)
    {
        Span<int> at = stackalloc int[10];
        at.Fill(-1);
        int offset = 0;
        for (int p = 0; p < slots.Length; p++)
        {
            var type = e.Properties[p].Type;
            var slot = slots[p];
            if (slot != Slot.Skip)
            {
                bool wanted = slot <= Slot.NZ ? type == PlyScalarType.Float32 : type == PlyScalarType.UInt8;
                if (!wanted) return false;
                at[(int)slot] = offset;
            }
            offset += PlyProperty.SizeOf(type);
        }
        bool normals = _normals is not null, colors = _colors is not null, alpha = _alpha is not null;
        if (normals && (at[3] < 0 || at[4] < 0 || at[5] < 0)) return false;
        if (colors && (at[6] < 0 || at[7] < 0 || at[8] < 0)) return false;
        int ox = at[0], oy = at[1], oz = at[2], onx = at[3], ony = at[4], onz = at[5], or = at[6], og = at[7], ob = at[8], oa = at[9];
        int rowSize = e.FixedRowSize, n = e.Count;
        bool be = _bigEndian, finite = _options.RequireFiniteCoordinates;
        int v = 0;
        while (v < n)
        {
            if (!_input.Ensure(rowSize)) throw Truncated(e, v);
            long chunkOffset = _input.Offset;
            int rows = Math.Min(n - v, _input.Available / rowSize);
            if (v + rows > _vertexCapacity) GrowVertices(v + rows);
            var span = _input.Span[..(rows * rowSize)];
            var pos = _positions.AsSpan(v * 3, rows * 3);
            var nrm = normals ? _normals.AsSpan(v * 3, rows * 3) : default;
            var col = colors ? _colors.AsSpan(v * 3, rows * 3) : default;
            var alp = alpha ? _alpha.AsSpan(v, rows) : default;
            for (int r = 0, o = 0, i = 0; r < rows; r++, o += rowSize, i += 3)
            {
                var row = span.Slice(o, rowSize);
                float x = ReadFloat(row, ox, be), y = ReadFloat(row, oy, be), z = ReadFloat(row, oz, be);
                pos[i] = x; pos[i + 1] = y; pos[i + 2] = z;
                if (normals)
                {
                    nrm[i] = ReadFloat(row, onx, be); nrm[i + 1] = ReadFloat(row, ony, be); nrm[i + 2] = ReadFloat(row, onz, be);
                }
                if (colors)
                {
                    col[i] = row[or]; col[i + 1] = row[og]; col[i + 2] = row[ob];
                }
                if (alpha) alp[r] = row[oa];
                if (finite && !(float.IsFinite(x) & float.IsFinite(y) & float.IsFinite(z) && (!normals || (float.IsFinite(nrm[i]) & float.IsFinite(nrm[i + 1]) & float.IsFinite(nrm[i + 2])))))
                    CheckVertex(v + r, chunkOffset + o);
            }
            v += rows;
            _input.Advance(rows * rowSize);
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ReadFloat(ReadOnlySpan<byte> row, int offset, bool bigEndian) =>
        bigEndian ? System.Buffers.Binary.BinaryPrimitives.ReadSingleBigEndian(row[offset..]) : System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(row[offset..]);

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadVerticesBinaryFixed(PlyElement e, ReadOnlySpan<Slot> slots, ReadOnlySpan<bool> isFloat)
    {
        var props = e.Properties;
        int k = props.Count, rowSize = e.FixedRowSize, n = e.Count;
        Span<int> offsets = stackalloc int[k];
        Span<PlyScalarType> types = stackalloc PlyScalarType[k];
        for (int p = 0, off = 0; p < k; p++)
        {
            offsets[p] = off;
            types[p] = props[p].Type;
            off += PlyProperty.SizeOf(types[p]);
        }
        bool be = _bigEndian;
        int v = 0;
        while (v < n)
        {
            if (!_input.Ensure(rowSize)) throw Truncated(e, v);
            long chunkOffset = _input.Offset;
            int rows = Math.Min(n - v, _input.Available / rowSize);
            if (v + rows > _vertexCapacity) GrowVertices(v + rows);
            var span = _input.Span;
            for (int r = 0; r < rows; r++, v++)
            {
                var row = span.Slice(r * rowSize, rowSize);
                for (int p = 0; p < k; p++)
                {
                    if (slots[p] == Slot.Skip) continue;
                    Store(slots[p], v, PlyInput.ReadBinary(row[offsets[p]..], types[p], be), isFloat[p]);
                }
                CheckVertex(v, chunkOffset + (long)r * rowSize);
            }
            _input.Advance(rows * rowSize);
        }
    }

    private void ReadVerticesBinaryLists(PlyElement e, ReadOnlySpan<Slot> slots, ReadOnlySpan<bool> isFloat)
    {
        var props = e.Properties;
        for (int v = 0; v < e.Count; v++)
        {
            long rowOffset = _input.Offset;
            if (v >= _vertexCapacity) GrowVertices(v + 1);
            for (int p = 0; p < props.Count; p++)
            {
                var prop = props[p];
                if (prop.IsList)
                {
                    SkipBinaryList(e, v, prop);
                    continue;
                }
                int size = PlyProperty.SizeOf(prop.Type);
                if (!_input.Ensure(size)) throw Truncated(e, v);
                if (slots[p] != Slot.Skip) Store(slots[p], v, PlyInput.ReadBinary(_input.Span, prop.Type, _bigEndian), isFloat[p]);
                _input.Advance(size);
            }
            CheckVertex(v, rowOffset);
        }
    }

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadVerticesAscii(PlyElement e, ReadOnlySpan<Slot> slots, ReadOnlySpan<bool> isFloat)
    {
        var props = e.Properties;
        for (int v = 0; v < e.Count; v++)
        {
            if (v >= _vertexCapacity) GrowVertices(v + 1);
            long rowOffset = -1;
            for (int p = 0; p < props.Count; p++)
            {
                var prop = props[p];
                if (prop.IsList)
                {
                    int count = AsciiListCount(e, v, prop);
                    for (int j = 0; j < count; j++) AsciiValue(e, v, prop, prop.Type);
                    continue;
                }
                double value = AsciiValue(e, v, prop, prop.Type);
                if (rowOffset < 0) rowOffset = _input.TokenOffset;
                if (slots[p] != Slot.Skip) Store(slots[p], v, value, isFloat[p]);
            }
            CheckVertex(v, rowOffset);
        }
    }

    private double AsciiValue(PlyElement e, long row, PlyProperty prop, PlyScalarType type)
    {
        var token = _input.NextToken();
        if (token.IsEmpty) throw Truncated(e, row);
        if (!PlyInput.TryParseAscii(token, type, out double value))
            throw new PlyFormatException($"'{PlyReader.Shorten(System.Text.Encoding.ASCII.GetString(token))}' is not a valid {PlyProperty.TypeName(type)} for property '{prop.Name}'", _input.TokenOffset, _input.Line, e.Name, row);
        return value;
    }

    private int AsciiListCount(PlyElement e, long row, PlyProperty prop)
    {
        double count = AsciiValue(e, row, prop, prop.CountType);
        if (count < 0 || count > _options.MaxPolygonVertices)
            throw new PlyFormatException($"list '{prop.Name}' has count {count}, outside 0..{_options.MaxPolygonVertices}", _input.TokenOffset, _input.Line, e.Name, row);
        return (int)count;
    }

    private int BinaryListCount(PlyElement e, long row, PlyProperty prop)
    {
        int countSize = PlyProperty.SizeOf(prop.CountType);
        if (!_input.Ensure(countSize)) throw Truncated(e, row);
        long count = PlyInput.ReadBinaryInteger(_input.Span, prop.CountType, _bigEndian);
        if (count < 0 || count > _options.MaxPolygonVertices)
            throw new PlyFormatException($"list '{prop.Name}' has count {count}, outside 0..{_options.MaxPolygonVertices}", _input.Offset, null, e.Name, row);
        _input.Advance(countSize);
        return (int)count;
    }

    private void SkipBinaryList(PlyElement e, long row, PlyProperty prop)
    {
        int count = BinaryListCount(e, row, prop);
        if (!_input.Skip((long)count * PlyProperty.SizeOf(prop.Type))) throw Truncated(e, row);
    }

    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadFaces()
    {
        var e = _faceElement!;
        int faceCount = e.Count;
        var listProp = e.Properties[_faceListIndex];
        // A face row takes at least its count and three indices to yield a triangle; size the first buffer by the bytes that can exist.
        long firstGuess = faceCount;
        if (_remainingBytes >= 0)
        {
            long perTriangle = _ascii ? 8 : PlyProperty.SizeOf(listProp.CountType) + 3L * PlyProperty.SizeOf(listProp.Type);
            firstGuess = Math.Min(firstGuess, _remainingBytes / perTriangle + 1);
        }
        else firstGuess = Math.Min(firstGuess, InitialRows);
        _triangles = new int[firstGuess * 3];
        _triangleInts = 0;

        int[]? rented = null;
        Span<int> indices = _options.MaxPolygonVertices <= 256
            ? stackalloc int[256]
            : (rented = ArrayPool<int>.Shared.Rent(_options.MaxPolygonVertices));
        try
        {
            if (!_ascii && e.Properties.Count == 1) ReadFacesBinarySimple(e, listProp, indices);
            else
            {
                for (int f = 0; f < faceCount; f++)
                {
                    for (int p = 0; p < e.Properties.Count; p++)
                    {
                        var prop = e.Properties[p];
                        if (p == _faceListIndex)
                        {
                            long rowOffset = _input.Offset;
                            int count = _ascii ? AsciiListCount(e, f, prop) : BinaryListCount(e, f, prop);
                            if (_ascii) rowOffset = _input.TokenOffset;
                            for (int j = 0; j < count; j++)
                            {
                                long idx;
                                if (_ascii) idx = (long)AsciiValue(e, f, prop, prop.Type);
                                else
                                {
                                    int size = PlyProperty.SizeOf(prop.Type);
                                    if (!_input.Ensure(size)) throw Truncated(e, f);
                                    idx = PlyInput.ReadBinaryInteger(_input.Span, prop.Type, _bigEndian);
                                    _input.Advance(size);
                                }
                                indices[j] = CheckIndex(idx, f, j, rowOffset);
                            }
                            AddPolygon(indices[..count]);
                        }
                        else if (prop.IsList)
                        {
                            if (_ascii)
                            {
                                int count = AsciiListCount(e, f, prop);
                                for (int j = 0; j < count; j++) AsciiValue(e, f, prop, prop.Type);
                            }
                            else SkipBinaryList(e, f, prop);
                        }
                        else if (_ascii) AsciiValue(e, f, prop, prop.Type);
                        else if (!_input.Skip(PlyProperty.SizeOf(prop.Type))) throw Truncated(e, f);
                    }
                }
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>The common binary layout: the face row is only the index list.</summary>
    // Called once per file or mesh with a long loop inside: compile it optimised at once instead of tiering up mid-loop.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ReadFacesBinarySimple(PlyElement e, PlyProperty prop, Span<int> indices)
    {
        int countSize = PlyProperty.SizeOf(prop.CountType);
        int indexSize = PlyProperty.SizeOf(prop.Type);
        var countType = prop.CountType;
        var indexType = prop.Type;
        bool be = _bigEndian;
        int maxPolygon = _options.MaxPolygonVertices;
        // Triangles as uchar 3 + three int32: consume every whole row in the buffer without per-row dispatch.
        bool tight = countType is PlyScalarType.UInt8 or PlyScalarType.Int8 && indexType is PlyScalarType.Int32 or PlyScalarType.UInt32;
        uint n = (uint)_vertexElement.Count;
        int f = 0;
        while (f < e.Count)
        {
            if (tight)
            {
                var span = _input.Span;
                var tri = _triangles;
                int pos = 0, at = _triangleInts;
                while (f < e.Count && span.Length - pos >= 13 && span[pos] == 3 && at + 3 <= tri.Length)
                {
                    uint a, b, d;
                    if (be)
                    {
                        a = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[(pos + 1)..]);
                        b = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[(pos + 5)..]);
                        d = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(span[(pos + 9)..]);
                    }
                    else
                    {
                        a = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 1)..]);
                        b = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 5)..]);
                        d = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 9)..]);
                    }
                    if (a >= n || b >= n || d >= n) break; // the general path below reports it
                    tri[at] = (int)a;
                    tri[at + 1] = (int)b;
                    tri[at + 2] = (int)d;
                    at += 3;
                    pos += 13;
                    f++;
                }
                _triangleInts = at;
                _input.Advance(pos);
                if (f == e.Count) break;
            }
            ReadOneBinaryFace(e, prop, indices, f, countSize, indexSize, maxPolygon);
            f++;
        }
    }

    private void ReadOneBinaryFace(PlyElement e, PlyProperty prop, Span<int> indices, int f, int countSize, int indexSize, int maxPolygon)
    {
        bool be = _bigEndian;
        if (!_input.Ensure(countSize)) throw Truncated(e, f);
        long rowOffset = _input.Offset;
        long count = PlyInput.ReadBinaryInteger(_input.Span, prop.CountType, be);
        if (count < 0 || count > maxPolygon)
            throw new PlyFormatException($"list '{prop.Name}' has count {count}, outside 0..{maxPolygon}", rowOffset, null, e.Name, f);
        int c = (int)count;
        int bytes = countSize + c * indexSize;
        if (!_input.Ensure(bytes)) throw Truncated(e, f);
        var span = _input.Span;
        for (int j = 0; j < c; j++)
            indices[j] = CheckIndex(PlyInput.ReadBinaryInteger(span[(countSize + j * indexSize)..], prop.Type, be), f, j, rowOffset);
        AddPolygon(indices[..c]);
        _input.Advance(bytes);
    }

    private int CheckIndex(long idx, int face, int position, long rowOffset)
    {
        if ((ulong)idx >= (ulong)_vertexElement.Count)
            throw new PlyFormatException($"vertex index {idx} at position {position} is outside 0..{_vertexElement.Count - 1}", rowOffset, _ascii ? _input.Line : null, "face", face);
        return (int)idx;
    }

    /// <summary>Fan triangulation (v0, vi, vi+1); polygons with fewer than three vertices add nothing.</summary>
    private void AddPolygon(ReadOnlySpan<int> poly)
    {
        int triangles = poly.Length - 2;
        if (triangles <= 0) return;
        if (_triangleInts + triangles * 3 > _triangles.Length)
            Array.Resize(ref _triangles, Math.Max(_triangleInts + triangles * 3, _triangles.Length * 2));
        for (int i = 1; i <= triangles; i++)
        {
            _triangles[_triangleInts++] = poly[0];
            _triangles[_triangleInts++] = poly[i];
            _triangles[_triangleInts++] = poly[i + 1];
        }
    }

    private void SkipElement(PlyElement e)
    {
        if (e.Properties.Count == 0 || e.Count == 0) return;
        if (!_ascii && !e.HasLists)
        {
            long rowSize = e.FixedRowSize;
            long start = _input.Offset;
            if (!_input.Skip(rowSize * e.Count)) throw Truncated(e, (_input.Offset - start) / rowSize);
            return;
        }
        for (int r = 0; r < e.Count; r++)
        {
            foreach (var prop in e.Properties)
            {
                if (_ascii)
                {
                    int count = prop.IsList ? AsciiListCount(e, r, prop) : 1;
                    for (int j = 0; j < count; j++) AsciiValue(e, r, prop, prop.Type);
                }
                else if (prop.IsList) SkipBinaryList(e, r, prop);
                else if (!_input.Skip(PlyProperty.SizeOf(prop.Type))) throw Truncated(e, r);
            }
        }
    }
}
