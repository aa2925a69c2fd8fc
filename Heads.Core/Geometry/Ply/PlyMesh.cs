namespace Heads.Core.Geometry.Ply;

/// <summary>
/// What a PLY file held: positions (xyz interleaved), optional normals, colours (rgb) and alpha,
/// triangles (polygons fan-triangulated), plus the header's comments and obj_info lines.
/// </summary>
public sealed class PlyMesh
{
    internal PlyMesh(PlyHeader header, float[] positions, float[]? normals, byte[]? colors, byte[]? alpha, int[] triangles)
    {
        Header = header;
        Positions = positions;
        Normals = normals;
        Colors = colors;
        Alpha = alpha;
        Triangles = triangles;
    }

    public PlyHeader Header { get; }
    public PlyFormat Format => Header.Format;
    public IReadOnlyList<string> Comments => Header.Comments;
    public IReadOnlyList<string> ObjInfo => Header.ObjInfo;
    public float[] Positions { get; }
    public float[]? Normals { get; }
    public byte[]? Colors { get; }
    public byte[]? Alpha { get; }
    public int[] Triangles { get; }
    public int VertexCount => Positions.Length / 3;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>
    /// As a <see cref="HeadMesh"/>; vertices without colours get <paramref name="defaultGray"/>,
    /// and normals are computed (area-weighted) when the file had none.
    /// </summary>
    public HeadMesh ToHeadMesh(byte defaultGray = 200)
    {
        var colors = Colors;
        if (colors is null)
        {
            colors = new byte[Positions.Length];
            colors.AsSpan().Fill(defaultGray);
        }
        return new HeadMesh(Positions, colors, Triangles, Normals);
    }
}
