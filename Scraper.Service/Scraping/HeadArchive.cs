using Azure;
using Azure.Storage.Blobs.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using Heads.Core.Contracts;
using Scraper.Service.Sources;

namespace Scraper.Service.Scraping;

/// <summary>
/// Stores heads as faces/{id}.jpg and meshes/{id}.ply. Each blob is one atomic upload; the photo goes last, so a head
/// counts as present only when both are in storage. Ids are validated before they become blob names.
/// </summary>
public sealed class HeadArchive(HeadsBlobContainers containers)
{
    public static string FaceBlobName(string headId) => $"{ResourceIds.Validate(headId, "head id")}.jpg";
    public static string MeshBlobName(string headId) => $"{ResourceIds.Validate(headId, "head id")}.ply";

    public async Task<bool> ContainsAsync(string headId, CancellationToken ct)
    {
        var face = await containers.Faces.GetBlobClient(FaceBlobName(headId)).ExistsAsync(ct);
        if (!face.Value) return false;
        return (await containers.Meshes.GetBlobClient(MeshBlobName(headId)).ExistsAsync(ct)).Value;
    }

    public async Task StoreAsync(SourcedHead head, CancellationToken ct)
    {
        var jpeg = head.FaceContentType == "image/jpeg" ? head.FacePhoto : ToJpeg(head.FacePhoto);
        await UploadAsync(containers.Meshes.GetBlobClient(MeshBlobName(head.HeadId)), head.MeshPly, "application/octet-stream", ct);
        await UploadAsync(containers.Faces.GetBlobClient(FaceBlobName(head.HeadId)), jpeg, "image/jpeg", ct);
    }

    private static async Task UploadAsync(Azure.Storage.Blobs.BlobClient blob, byte[] data, string contentType, CancellationToken ct)
    {
        try
        {
            await blob.UploadAsync(new BinaryData(data), new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, ct);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Another delivery stored the same deterministic bytes first.
        }
    }

    private static byte[] ToJpeg(byte[] photo)
    {
        using var image = Image.Load(photo);
        using var output = new MemoryStream();
        image.Save(output, new JpegEncoder { Quality = 95 });
        return output.ToArray();
    }
}
