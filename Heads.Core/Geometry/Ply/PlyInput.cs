using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Heads.Core.Geometry.Ply;

/// <summary>
/// A pooled read buffer over a stream that tracks absolute byte offsets (and lines for ASCII) so errors can say where.
/// Buffers grow only as data actually arrives.
/// </summary>
internal sealed class PlyInput : IDisposable
{
    private const int MaxTokenLength = 256;
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _pos;
    private int _len;
    private long _base;
    private bool _eof;

    public PlyInput(Stream stream, int bufferSize = 1 << 16)
    {
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
    }

    /// <summary>Absolute stream offset of the next unread byte.</summary>
    public long Offset => _base + _pos;

    /// <summary>Current 1-based line (counted by header and ASCII token reading).</summary>
    public long Line { get; set; } = 1;

    public int Available => _len - _pos;

    public ReadOnlySpan<byte> Span => new(_buffer, _pos, _len - _pos);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Advance(int count) => _pos += count;

    /// <summary>Makes at least <paramref name="count"/> bytes available; false at end of stream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Ensure(int count) => _len - _pos >= count || Refill(count);

    private bool Refill(int count)
    {
        if (_eof) return false;
        if (count > _buffer.Length)
        {
            // Only reached for one long list row; the bytes must still arrive before they are used.
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(count, _buffer.Length * 2));
            Buffer.BlockCopy(_buffer, _pos, bigger, 0, _len - _pos);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        else if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
        }
        _base += _pos;
        _len -= _pos;
        _pos = 0;
        while (_len < count)
        {
            int read = _stream.Read(_buffer, _len, _buffer.Length - _len);
            if (read <= 0)
            {
                _eof = true;
                return false;
            }
            _len += read;
        }
        return true;
    }

    /// <summary>Skips <paramref name="count"/> bytes; false if the stream ends first.</summary>
    public bool Skip(long count)
    {
        while (count > 0)
        {
            if (Available == 0 && !Ensure(1)) return false;
            int step = (int)Math.Min(count, Available);
            _pos += step;
            count -= step;
        }
        return true;
    }

    /// <summary>Reads one header line (without CR/LF) as ASCII text.</summary>
    public string ReadHeaderLine(int maxLength, int lineNumber)
    {
        long start = Offset;
        int searched = 0;
        while (true)
        {
            var span = Span;
            int nl = span[searched..].IndexOf((byte)'\n');
            if (nl >= 0)
            {
                nl += searched;
                int end = nl > 0 && span[nl - 1] == (byte)'\r' ? nl - 1 : nl;
                if (end > maxLength) throw new PlyFormatException($"header line longer than {maxLength} bytes", start, lineNumber);
                var text = DecodeHeaderText(span[..end], start, lineNumber);
                Advance(nl + 1);
                Line = lineNumber + 1;
                return text;
            }
            searched = span.Length;
            if (span.Length > maxLength) throw new PlyFormatException($"header line longer than {maxLength} bytes", start, lineNumber);
            if (!Ensure(span.Length + 1))
                throw new PlyFormatException("stream ended inside the header (no end_header)", Offset + Available, lineNumber);
        }
    }

    private static string DecodeHeaderText(ReadOnlySpan<byte> bytes, long offset, int line)
    {
        foreach (var b in bytes)
            if (b == 0 || b > 126) throw new PlyFormatException("header contains a non-ASCII or NUL byte (binary data before end_header?)", offset, line);
        return System.Text.Encoding.ASCII.GetString(bytes);
    }

    /// <summary>
    /// Next whitespace-separated ASCII token, valid until the next call; empty at end of stream.
    /// The caller's position info for errors is <see cref="TokenOffset"/> and <see cref="Line"/>.
    /// </summary>
    public ReadOnlySpan<byte> NextToken()
    {
        while (true)
        {
            var span = Span;
            int i = 0;
            while (i < span.Length && IsSpace(span[i]))
            {
                if (span[i] == (byte)'\n') Line++;
                i++;
            }
            _pos += i;
            if (i < span.Length) break;
            if (!Ensure(1)) return default;
        }
        TokenOffset = Offset;
        int searched = 0;
        while (true)
        {
            var span = Span;
            int end = searched;
            while (end < span.Length && !IsSpace(span[end])) end++;
            if (end < span.Length || !Ensure(span.Length + 1))
            {
                if (end > MaxTokenLength) throw new PlyFormatException($"ASCII token longer than {MaxTokenLength} bytes", TokenOffset, Line);
                var token = Span[..end];
                _pos += end;
                return token;
            }
            searched = end;
            if (searched > MaxTokenLength) throw new PlyFormatException($"ASCII token longer than {MaxTokenLength} bytes", TokenOffset, Line);
        }
    }

    public long TokenOffset { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSpace(byte b) => b == (byte)' ' || b == (byte)'\n' || b == (byte)'\r' || b == (byte)'\t' || b == (byte)'\f' || b == (byte)'\v';

    /// <summary>Reads a binary scalar of <paramref name="type"/> from the start of <paramref name="s"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double ReadBinary(ReadOnlySpan<byte> s, PlyScalarType type, bool bigEndian)
    {
        switch (type)
        {
            case PlyScalarType.Float32:
                return bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s);
            case PlyScalarType.UInt8:
                return s[0];
            case PlyScalarType.Int32:
                return bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s);
            case PlyScalarType.Float64:
                return bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s);
            case PlyScalarType.UInt32:
                return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
            case PlyScalarType.Int8:
                return (sbyte)s[0];
            case PlyScalarType.Int16:
                return bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s);
            default:
                return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
        }
    }

    /// <summary>Reads a binary integer (list count or index); unsigned 32-bit values above int.MaxValue come back as -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReadBinaryInteger(ReadOnlySpan<byte> s, PlyScalarType type, bool bigEndian)
    {
        switch (type)
        {
            case PlyScalarType.Int32:
                return bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s);
            case PlyScalarType.UInt8:
                return s[0];
            case PlyScalarType.UInt32:
                return bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
            case PlyScalarType.Int8:
                return (sbyte)s[0];
            case PlyScalarType.Int16:
                return bigEndian ? BinaryPrimitives.ReadInt16BigEndian(s) : BinaryPrimitives.ReadInt16LittleEndian(s);
            case PlyScalarType.UInt16:
                return bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
            default:
                // A float index is not valid PLY; let the range check reject it unless it is integral.
                double d = ReadBinary(s, type, bigEndian);
                return d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue ? (long)d : -1;
        }
    }

    public static bool TryParseAscii(ReadOnlySpan<byte> token, PlyScalarType type, out double value)
    {
        if (PlyProperty.IsInteger(type))
        {
            if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            {
                value = l;
                return true;
            }
            // Some writers print integral values of integer properties as "3.0".
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && value == Math.Floor(value)) return true;
            return false;
        }
        if (type == PlyScalarType.Float32)
        {
            // Straight to float: via double would round twice and can miss the nearest float.
            bool ok = float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out float f);
            value = f;
            return ok;
        }
        return double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
