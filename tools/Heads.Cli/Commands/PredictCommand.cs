using System.CommandLine;
using System.Net.Http.Headers;
using Heads.Cli.Files;
using Heads.Cli.Models;
using Heads.Cli.Services;
using Heads.Core.Geometry;
using Heads.Core.Imaging;

namespace Heads.Cli.Commands;

/// <summary><c>heads predict FACE.jpg</c>: a FaceNet volume from a photo, from the inference service or a local model.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var face = new Argument<string>("FACE") { Description = "A face photo (JPEG, PNG, BMP, GIF or WebP)." };
        var model = new Option<string?>("--model", "-m") { Description = "With a server: facenet1, facenet2, facenet3 or a job id (default: the newest FaceNet it serves).", HelpName = "MODEL" };
        var server = CommonOptions.Server("inference service", ServiceAddresses.Inference);
        var modelFile = CommonOptions.ModelFile();
        var output = CommonOptions.Output("Write the 32³ volume: .ply (a point per occupied voxel, or the surface with --mesh), .obj or .glb (the surface), .csv (32768 values), .raw (32768 bytes, index z·1024 + y·32 + x) or .json.");
        var threshold = CommonOptions.Threshold();
        var mesh = new Option<bool>("--mesh") { Description = "Write .ply as the marching-cubes surface instead of points." };
        var command = new Command("predict", "A FaceNet head volume (32³ grayscale voxels) from a face photo, from the inference service (default) or a local model file.")
        {
            face, model, server, modelFile, output, threshold, mesh,
        };
        CommonOptions.OneOf(command, server, modelFile);
        CommonOptions.OneOf(command, model, modelFile);
        CommandAction.Set(command, async (result, ct) =>
        {
            var path = result.GetValue(face)!;
            var cut = CommonOptions.ThresholdValue(result.GetValue(threshold));
            var outputPath = result.GetValue(output);
            if (outputPath is not null && !VolumeFiles.Extensions.Contains(Path.GetExtension(outputPath).ToLowerInvariant()))
                throw new InputException($"cannot write a volume as '{Path.GetExtension(outputPath)}' ({outputPath}): use {string.Join(", ", VolumeFiles.Extensions)}.");
            if (!File.Exists(path)) throw new InputException($"{path}: no such file.");

            byte[] volume;
            string source;
            Guid? jobId = null;
            if (result.GetValue(modelFile) is { } file)
            {
                var input = FaceImage.Load(path);
                using var local = LocalModel.Load(file);
                if (local.Volumes is null) throw new InputException($"{file} is a {local.Kind} model; predict needs a FaceNet (sample draws HeadsNet heads).");
                volume = local.Volumes.PredictVolumes(input);
                source = local.Description;
                jobId = local.JobId;
            }
            else
            {
                using var client = new ServiceClient("inference service", result.GetValue(server), ServiceAddresses.Inference);
                var query = "api/v1/faces/predictions?format=raw" + (result.GetValue(model) is { } m ? "&model=" + Uri.EscapeDataString(m) : "");
                using var form = new MultipartFormDataContent();
                var image = new ByteArrayContent(await File.ReadAllBytesAsync(path, ct));
                image.Headers.ContentType = new MediaTypeHeaderValue(ContentType(path));
                form.Add(image, "image", Path.GetFileName(path));
                using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, query) { Content = form }, ct);
                volume = await response.Content.ReadAsByteArrayAsync(ct);
                if (volume.Length != 32768) throw new InputException($"the inference service answered {volume.Length} bytes, not a 32³ volume.");
                var kind = Header(response, "X-Heads-Model") ?? "FaceNet";
                var job = Header(response, "X-Heads-Job");
                if (Guid.TryParse(job, out var id)) jobId = id;
                source = $"{kind} job {job} ({client.BaseAddress})";
            }

            var voxels = new VoxelVolume(volume);
            Console.WriteLine($"{source}: {VolumeFiles.Describe(voxels)}");
            if (outputPath is not null)
            {
                VolumeFiles.Write(outputPath, voxels, cut, result.GetValue(mesh), source.Split(' ')[0], jobId);
                Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length:N0} bytes)");
            }
        });
        return command;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".bmp" => "image/bmp",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        _ => "image/jpeg",
    };
}
