using Heads.Core.Geometry.Ply;

namespace Heads.Core.Geometry;

/// <summary>
/// Writes a <see cref="VoxelVolume"/> for viewing: a point cloud of occupied voxels or a marching-cubes surface,
/// both as binary PLY in the voxeliser's normalised space (voxel i's centre at (i + 0.5) / size · 2 − 1).
/// </summary>
public static class VolumeExport
{
    /// <summary>One point per voxel with value ≥ <paramref name="threshold"/>: float x, y, z and uchar gray as r, g, b.</summary>
    public static void WritePointCloud(Stream stream, VoxelVolume volume, byte threshold = 1, PlyFormat format = PlyFormat.BinaryLittleEndian)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(volume);
        var (positions, colors) = OccupiedPoints(volume, threshold);
        PlyWriter.WritePointCloud(stream, positions, colors, format, [$"voxels {volume.Size}^3, threshold {threshold}"]);
    }

    /// <summary>Centres and gray colours of the voxels with value ≥ <paramref name="threshold"/>, in index order.</summary>
    public static (float[] Positions, byte[] Colors) OccupiedPoints(VoxelVolume volume, byte threshold = 1)
    {
        ArgumentNullException.ThrowIfNull(volume);
        if (threshold == 0) threshold = 1;
        int size = volume.Size, count = volume.OccupiedCount(threshold);
        var positions = new float[count * 3];
        var colors = new byte[count * 3];
        var data = volume.Data;
        float step = 2f / size;
        int o = 0;
        for (int z = 0, i = 0; z < size; z++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++, i++)
        {
            byte v = data[i];
            if (v < threshold) continue;
            positions[o] = (x + 0.5f) * step - 1f;
            positions[o + 1] = (y + 0.5f) * step - 1f;
            positions[o + 2] = (z + 0.5f) * step - 1f;
            colors[o] = colors[o + 1] = colors[o + 2] = v;
            o += 3;
        }
        return (positions, colors);
    }

    /// <summary>The marching-cubes surface with shared vertices, normals and gray colours, as binary little-endian PLY.</summary>
    public static HeadMesh WriteSurface(Stream stream, VoxelVolume volume, MarchingCubesOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var mesh = MarchingCubes.Extract(volume, options);
        PlyWriter.Write(stream, mesh, new PlyWriteOptions
        {
            IncludeNormals = true,
            Comments = [$"marching cubes of a {volume.Size}^3 volume, threshold {(options ?? MarchingCubesOptions.Default).Threshold}"],
        });
        return mesh;
    }
}
