using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;

namespace Trainer.Service.Tests;

/// <summary>
/// Writes small datasets into storage in the dataset service's layout: datasets/{id}/manifest.json (kind, files with
/// name, rows, bytes, sha256) beside the split files.
/// </summary>
internal static class TestDatasets
{
    /// <summary>Voxels whose value follows the face; all others are constant over every head (pruned in FaceNet2).</summary>
    public static bool Varies(int voxel, int stride) => voxel % stride == 0;

    /// <summary>
    /// FaceNet rows: random faces; a constant "skull" (value 128 within radius 9 of the centre, else empty) plus every
    /// <paramref name="stride"/>-th voxel set from two face pixels, so the model has something learnable and most voxels prune.
    /// </summary>
    public static (byte[] Faces, byte[] Volumes) FaceNetRows(int count, int stride, int seed)
    {
        var rng = new Random(seed);
        var faces = new byte[count * 1024];
        rng.NextBytes(faces);
        var volumes = new byte[count * 32768];
        for (int s = 0; s < count; s++)
            for (int v = 0; v < 32768; v++)
            {
                int x = v % 32, y = v / 32 % 32, z = v / 1024;
                int dx = x - 16, dy = y - 16, dz = z - 16;
                byte value = dx * dx + dy * dy + dz * dz <= 81 ? (byte)128 : (byte)0;
                if (Varies(v, stride))
                    value = (byte)(1 + (faces[s * 1024 + v / stride * 37 % 1024] + faces[s * 1024 + (v * 13 + 5) % 1024]) / 2 % 255);
                volumes[s * 32768 + v] = value;
            }
        return (faces, volumes);
    }

    public static async Task WriteFaceNetAsync(BlobServiceClient blobs, string id, int train, int heldOut, int stride = 64, int seed = 1,
        Func<string, string, string>? manifestSha = null)
    {
        var (faces, volumes) = FaceNetRows(train + heldOut, stride, seed);
        var files = new (string Name, string Partition, string Role, int RowBytes, byte[] Bytes)[]
        {
            ("train_x.dat", "Train", "Inputs", 1024, faces[..(train * 1024)]),
            ("train_y.dat", "Train", "Targets", 32768, volumes[..(train * 32768)]),
            ("heldout_x.dat", "HeldOut", "Inputs", 1024, faces[(train * 1024)..]),
            ("heldout_y.dat", "HeldOut", "Targets", 32768, volumes[(train * 32768)..]),
        };
        await WriteAsync(blobs, id, "FaceNet", train, heldOut, files, manifestSha);
    }

    /// <summary>HeadsNet rows: each head a sphere of its own radius traced along a spiral, coloured by height.</summary>
    public static async Task WriteHeadsNetAsync(BlobServiceClient blobs, string id, int trainHeads, int heldOutHeads, int points)
    {
        (float[] X, float[] Y) Rows(int first, int heads)
        {
            var x = new float[heads * points * 2];
            var y = new float[heads * points * 6];
            for (int h = 0; h < heads; h++)
            {
                float seed = (first + h + 0.5f) / (trainHeads + heldOutHeads);
                double radius = 0.5 + seed;
                for (int i = 0; i < points; i++)
                {
                    int row = h * points + i;
                    double t = (double)i / points, z = 1 - 2 * t, r = Math.Sqrt(1 - z * z), phi = 12 * Math.PI * t;
                    x[row * 2] = seed;
                    x[row * 2 + 1] = (float)t;
                    y[row * 6] = (float)(radius * r * Math.Cos(phi));
                    y[row * 6 + 1] = (float)(radius * r * Math.Sin(phi));
                    y[row * 6 + 2] = (float)(radius * z);
                    y[row * 6 + 3] = (float)t;
                    y[row * 6 + 4] = 0.5f;
                    y[row * 6 + 5] = (float)(1 - t);
                }
            }
            return (x, y);
        }
        var (tx, ty) = Rows(0, trainHeads);
        var (hx, hy) = Rows(trainHeads, heldOutHeads);
        static byte[] Bytes(float[] f) => MemoryMarshal.AsBytes(f.AsSpan()).ToArray();
        var files = new (string, string, string, int, byte[])[]
        {
            ("train_x.f32", "Train", "Inputs", 8, Bytes(tx)),
            ("train_y.f32", "Train", "Targets", 24, Bytes(ty)),
            ("heldout_x.f32", "HeldOut", "Inputs", 8, Bytes(hx)),
            ("heldout_y.f32", "HeldOut", "Targets", 24, Bytes(hy)),
        };
        await WriteAsync(blobs, id, "HeadsNet", trainHeads * points, heldOutHeads * points, files, null);
    }

    private static async Task WriteAsync(BlobServiceClient blobs, string id, string kind, long trainRows, long heldOutRows,
        (string Name, string Partition, string Role, int RowBytes, byte[] Bytes)[] files, Func<string, string, string>? manifestSha)
    {
        var container = blobs.GetBlobContainerClient("datasets");
        await container.CreateIfNotExistsAsync();
        foreach (var f in files) await container.GetBlobClient($"{id}/{f.Name}").UploadAsync(new BinaryData(f.Bytes), overwrite: true);
        var manifest = new
        {
            datasetId = id,
            kind,
            origin = "Import",
            generatorVersion = "trainer-tests",
            createdAt = DateTimeOffset.UtcNow,
            heldOutFraction = heldOutRows / (double)(trainRows + heldOutRows),
            trainRows,
            heldOutRows,
            files = files.Select(f =>
            {
                var sha = Convert.ToHexStringLower(SHA256.HashData(f.Bytes));
                return new
                {
                    name = f.Name,
                    partition = f.Partition,
                    role = f.Role,
                    rowBytes = f.RowBytes,
                    rows = f.Bytes.Length / f.RowBytes,
                    bytes = (long)f.Bytes.Length,
                    sha256 = manifestSha?.Invoke(f.Name, sha) ?? sha,
                };
            }).ToList(),
        };
        await container.GetBlobClient($"{id}/manifest.json").UploadAsync(BinaryData.FromObjectAsJson(manifest, new JsonSerializerOptions(JsonSerializerDefaults.Web)), overwrite: true);
    }
}
