using System.Buffers.Binary;
using System.Text;

namespace Inference.Viewer.Tests;

/// <summary>Small, exactly known stand-ins for what the real models return.</summary>
public static class SyntheticHeads
{
    public const int VolumeSize = 32;

    /// <summary>
    /// A 32³ ball of radius 12 (index = z·1024 + y·32 + x), 0 outside; inside, the value rises from left to right
    /// (30 + 7·x, 58..219) so the threshold slider has something to cut and the cubes show many greys.
    /// </summary>
    public static byte[] BallVolume()
    {
        var volume = new byte[VolumeSize * VolumeSize * VolumeSize];
        const double centre = (VolumeSize - 1) / 2.0;
        for (var z = 0; z < VolumeSize; z++)
        {
            for (var y = 0; y < VolumeSize; y++)
            {
                for (var x = 0; x < VolumeSize; x++)
                {
                    double dx = x - centre, dy = y - centre, dz = z - centre;
                    if (dx * dx + dy * dy + dz * dz <= 12 * 12)
                    {
                        volume[(z * VolumeSize + y) * VolumeSize + x] = (byte)Math.Clamp(30 + 7 * x, 1, 255);
                    }
                }
            }
        }
        return volume;
    }

    /// <summary>
    /// A head-sized ellipsoid of <paramref name="points"/> points (a Fibonacci lattice, seed-rotated) coloured
    /// by position, written as HeadsNet's binary little-endian PLY: float x, y, z; uchar red, green, blue.
    /// </summary>
    public static byte[] PointCloudPly(int seed, int points)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        var header = Encoding.ASCII.GetBytes(
            "ply\nformat binary_little_endian 1.0\ncomment synthetic head for the viewer tests\n" +
            $"element vertex {points}\nproperty float x\nproperty float y\nproperty float z\n" +
            "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n");
        const int stride = 3 * sizeof(float) + 3;
        var ply = new byte[header.Length + points * stride];
        header.CopyTo(ply, 0);
        var golden = Math.PI * (3 - Math.Sqrt(5));
        var twist = seed * 0.37;
        for (var i = 0; i < points; i++)
        {
            var y = 1 - 2 * (i + 0.5) / points;
            var ring = Math.Sqrt(1 - y * y);
            var angle = i * golden + twist;
            float px = (float)(Math.Cos(angle) * ring * 0.78), py = (float)(y * 1.0), pz = (float)(Math.Sin(angle) * ring * 0.9);
            var at = header.Length + i * stride;
            var span = ply.AsSpan(at, stride);
            BinaryPrimitives.WriteSingleLittleEndian(span[0..], px);
            BinaryPrimitives.WriteSingleLittleEndian(span[4..], py);
            BinaryPrimitives.WriteSingleLittleEndian(span[8..], pz);
            span[12] = Channel(px / 0.78);
            span[13] = Channel(py);
            span[14] = Channel(pz / 0.9);
        }
        return ply;

        static byte Channel(double v) => (byte)Math.Clamp(Math.Round(127.5 + 127.5 * v), 0, 255);
    }
}
