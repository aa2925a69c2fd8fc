namespace Heads.Core.Geometry.Ply;

/// <summary>How a PLY body is encoded.</summary>
public enum PlyFormat
{
    Ascii,
    BinaryLittleEndian,
    BinaryBigEndian,
}

/// <summary>The eight PLY scalar types (both the old names and the sized aliases map here).</summary>
public enum PlyScalarType : byte
{
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Float32,
    Float64,
}

/// <summary>One property of an element: a scalar, or a list with a count type and an item type.</summary>
public sealed record PlyProperty(string Name, PlyScalarType Type, bool IsList = false, PlyScalarType CountType = PlyScalarType.UInt8)
{
    public static int SizeOf(PlyScalarType type) => type switch
    {
        PlyScalarType.Int8 or PlyScalarType.UInt8 => 1,
        PlyScalarType.Int16 or PlyScalarType.UInt16 => 2,
        PlyScalarType.Int32 or PlyScalarType.UInt32 or PlyScalarType.Float32 => 4,
        _ => 8,
    };

    public static bool IsInteger(PlyScalarType type) => type < PlyScalarType.Float32;

    /// <summary>Parses a PLY type name: char/int8, uchar/uint8, short/int16, ushort/uint16, int/int32, uint/uint32, float/float32, double/float64.</summary>
    public static bool TryParseType(ReadOnlySpan<char> name, out PlyScalarType type)
    {
        switch (name)
        {
            case "char" or "int8": type = PlyScalarType.Int8; return true;
            case "uchar" or "uint8": type = PlyScalarType.UInt8; return true;
            case "short" or "int16": type = PlyScalarType.Int16; return true;
            case "ushort" or "uint16": type = PlyScalarType.UInt16; return true;
            case "int" or "int32": type = PlyScalarType.Int32; return true;
            case "uint" or "uint32": type = PlyScalarType.UInt32; return true;
            case "float" or "float32": type = PlyScalarType.Float32; return true;
            case "double" or "float64": type = PlyScalarType.Float64; return true;
            default: type = default; return false;
        }
    }

    public static string TypeName(PlyScalarType type) => type switch
    {
        PlyScalarType.Int8 => "char",
        PlyScalarType.UInt8 => "uchar",
        PlyScalarType.Int16 => "short",
        PlyScalarType.UInt16 => "ushort",
        PlyScalarType.Int32 => "int",
        PlyScalarType.UInt32 => "uint",
        PlyScalarType.Float32 => "float",
        _ => "double",
    };
}

/// <summary>An element declaration: its name, row count and properties in file order.</summary>
public sealed class PlyElement(string name, int count)
{
    public string Name { get; } = name;
    public int Count { get; } = count;
    public List<PlyProperty> Properties { get; } = [];

    public bool HasLists
    {
        get
        {
            foreach (var p in Properties)
                if (p.IsList) return true;
            return false;
        }
    }

    /// <summary>Bytes per row in a binary body; only meaningful when <see cref="HasLists"/> is false.</summary>
    public int FixedRowSize
    {
        get
        {
            int size = 0;
            foreach (var p in Properties) size += PlyProperty.SizeOf(p.Type);
            return size;
        }
    }

    /// <summary>Fewest body bytes one row can take: binary scalars at full size and lists with zero items; in ASCII one digit and one separator per value.</summary>
    public long MinimumRowBytes(PlyFormat format)
    {
        long size = 0;
        foreach (var p in Properties)
        {
            if (format == PlyFormat.Ascii) size += 2;
            else size += PlyProperty.SizeOf(p.IsList ? p.CountType : p.Type);
        }
        return size;
    }
}

/// <summary>A parsed PLY header.</summary>
public sealed class PlyHeader
{
    public PlyFormat Format { get; internal set; }
    public List<PlyElement> Elements { get; } = [];
    public List<string> Comments { get; } = [];
    public List<string> ObjInfo { get; } = [];
    /// <summary>Header lines that were skipped, and why (unknown keywords).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Byte offset of the first body byte (just after the end_header line).</summary>
    public long BodyOffset { get; internal set; }

    public PlyElement? Find(string name)
    {
        foreach (var e in Elements)
            if (e.Name == name) return e;
        return null;
    }
}
