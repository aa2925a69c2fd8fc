using System.CommandLine;
using System.Globalization;
using Heads.Cli.Files;
using Heads.Cli.Models;
using Heads.Core.FaceTo3D;
using Heads.Core.Inference;
using Heads.Core.Rendering;
using Heads.Core.Training;

namespace Heads.Cli.Commands;

/// <summary>
/// <c>heads gallery</c>: the gallery picture offline, from a local model: a FaceNet's predictions for a downloaded
/// dataset's held-out heads (<c>heldout_x.dat</c>, <c>heldout_y.dat</c>) beside the true heads, or a HeadsNet's heads
/// for a few seeds.
/// </summary>
public static class GalleryCommand
{
    private const int HeadsNetPoints = 30_000;

    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "A model: a .safetensors file (HeadsNet, FaceNet1, FaceNet3) or a trained job's folder with manifest.json.",
            Required = true,
            HelpName = "PATH",
        };
        var dataset = new Option<string?>("--dataset", "-d")
        {
            Description = "For a FaceNet: a dataset folder as `heads dataset download` writes it (heldout_x.dat, heldout_y.dat).",
            HelpName = "DIR",
        };
        var output = CommonOptions.Output("The PNG to write.", required: true);
        var count = new Option<int>("--count", "-n") { Description = "Heads to show (the first held-out ones, or that many seeds).", DefaultValueFactory = _ => 6, HelpName = "N" };
        var tile = new Option<int>("--tile") { Description = "Pixels per view (square).", DefaultValueFactory = _ => 160, HelpName = "PX" };
        var command = new Command("gallery", "A gallery PNG from a local model: held-out heads (photo, true, predicted) for a FaceNet, heads by seed for a HeadsNet.")
        {
            model, dataset, output, count, tile,
        };
        CommandAction.Set(command, (result, ct) =>
        {
            var path = result.GetValue(output)!;
            if (!string.Equals(Path.GetExtension(path), ".png", StringComparison.OrdinalIgnoreCase))
                throw new InputException($"cannot write {path}: the gallery is a PNG, so the file must end in .png.");
            int n = result.GetValue(count);
            if (n is < 1 or > ModelPictures.MaxHeads) throw new InputException($"--count must be within 1..{ModelPictures.MaxHeads}; it was {n}.");
            int side = result.GetValue(tile);
            if (side is < ModelPictures.MinTile or > ModelPictures.MaxTile) throw new InputException($"--tile must be within {ModelPictures.MinTile}..{ModelPictures.MaxTile} pixels; it was {side}.");
            var datasetFolder = result.GetValue(dataset);

            using var local = LocalModel.Load(result.GetValue(model)!);
            byte[] png;
            string what;
            if (local.Heads is { } heads)
            {
                // Seeds spread over [0, 1) as the golden-ratio sequence the service uses for whole-number seeds.
                var seeds = Enumerable.Range(1, n).Select(i => (float)(i * 0.6180339887498949 % 1.0)).ToList();
                png = ModelPictures.SeedGallery([.. seeds.Select(s => (s, HeadsNetSampler.Sample(heads, s, HeadsNetPoints, cancellationToken: ct)))], side);
                what = $"{n} HeadsNet heads";
            }
            else
            {
                if (datasetFolder is null) throw new InputException($"{local.Description} is a FaceNet: --dataset DIR names the held-out heads to draw.");
                var (faces, volumes) = ReadHeldOut(datasetFolder, n);
                int shown = faces.Count;
                var predicted = local.Volumes!.PredictVolumes(faces.SelectMany(f => f).ToArray());
                var gallery = new List<GalleryHead>(shown);
                for (int i = 0; i < shown; i++)
                {
                    var guess = predicted.AsSpan(i * FaceTo3DFiles.VolumeBytes, FaceTo3DFiles.VolumeBytes).ToArray();
                    var score = FaceNetEvaluation.Score(guess, volumes[i]);
                    gallery.Add(new GalleryHead(faces[i], volumes[i], guess,
                        string.Create(CultureInfo.InvariantCulture, $"held-out {i + 1}: IoU {score.OccupancyIoU:F2}, MAE {score.GrayscaleMae:F1}")));
                }
                png = ModelPictures.VolumeGallery(gallery, side);
                what = $"{shown} held-out heads of {datasetFolder}";
            }
            Atomic.Write(path, png);
            Console.WriteLine($"{local.Description}: {what}; wrote {path} ({png.Length:N0} bytes)");
            return Task.CompletedTask;
        });
        return command;
    }

    /// <summary>The first <paramref name="count"/> held-out faces and their true volumes; both files must hold as many.</summary>
    private static (List<byte[]> Faces, List<byte[]> Volumes) ReadHeldOut(string folder, int count)
    {
        if (!Directory.Exists(folder)) throw new InputException($"{folder}: no such dataset folder.");
        var xPath = Path.Combine(folder, "heldout_x.dat");
        var yPath = Path.Combine(folder, "heldout_y.dat");
        foreach (var file in new[] { xPath, yPath })
            if (!File.Exists(file)) throw new InputException($"{folder} has no {Path.GetFileName(file)}: download a FaceNet dataset with `heads dataset download ID -o DIR`.");
        using var x = FaceTo3DFiles.OpenTrainX(xPath);
        using var y = FaceTo3DFiles.OpenTrainY(yPath);
        if (x.Count is { } faces && y.Count is { } volumes && faces != volumes)
            throw new InputException($"{folder}: heldout_x.dat holds {faces} faces but heldout_y.dat {volumes} volumes.");
        var faceList = x.ReadAll().Take(count).ToList();
        var volumeList = y.ReadAll().Take(faceList.Count).ToList();
        if (faceList.Count == 0) throw new InputException($"{folder}: the dataset has no held-out heads.");
        if (volumeList.Count != faceList.Count) throw new InputException($"{folder}: heldout_y.dat ends before heldout_x.dat.");
        return (faceList, volumeList);
    }
}
