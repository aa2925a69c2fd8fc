using System.CommandLine;
using System.Globalization;
using Heads.Cli.Files;
using Heads.Core.Rendering;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Models;
using SixLabors.ImageSharp;

namespace Heads.Cli.Commands;

/// <summary><c>heads render</c>: a PNG of a mesh, point cloud or volume from one or several angles, without a window.</summary>
public static class RenderCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("INPUT")
        {
            Description = "A mesh (.ply with faces, .obj), a point cloud (.ply without faces, .csv of x,y,z,r,g,b lines) or a volume (.raw, .csv or .json of 32768 values).",
        };
        var output = CommonOptions.Output("The picture to write (.png or .jpg); several angles are laid side by side.", required: true);
        var angles = new Option<string>("--angles", "-a")
        {
            Description = "Yaw angles in degrees, comma-separated: 0 is the front, 90 the head's right side in profile, 180 the back.",
            DefaultValueFactory = _ => "0",
            HelpName = "DEG,…",
        };
        var size = new Option<int>("--size") { Description = "Pixels per view (square).", DefaultValueFactory = _ => 256 };
        var pitch = new Option<float>("--pitch") { Description = "Tilt in degrees (positive shows the head from above).", DefaultValueFactory = _ => 0f };
        var threshold = CommonOptions.Threshold();
        var command = new Command("render", "A picture of a mesh, point cloud or volume from one or several angles, written as PNG.")
        {
            input, output, angles, size, pitch, threshold,
        };
        CommandAction.Set(command, (result, ct) =>
        {
            var path = result.GetValue(input)!;
            var outputPath = result.GetValue(output)!;
            var extension = Path.GetExtension(outputPath).ToLowerInvariant();
            if (extension is not (".png" or ".jpg" or ".jpeg")) throw new InputException($"cannot write a picture as '{extension}' ({outputPath}): use .png or .jpg.");
            var yaws = ParseAngles(result.GetValue(angles)!);
            int tile = result.GetValue(size);
            if (tile is < 16 or > 4096) throw new InputException($"--size must be within 16..4096 pixels; it was {tile}.");
            var scene = Load(path, CommonOptions.ThresholdValue(result.GetValue(threshold)), out var what);
            using var image = HeadViews.Render(scene, yaws, tile, result.GetValue(pitch));
            Atomic.Write(outputPath, s =>
            {
                if (extension == ".png") image.SaveAsPng(s);
                else image.SaveAsJpeg(s);
            });
            Console.WriteLine($"{path}: {what}; wrote {outputPath} ({image.Width}×{image.Height}, {yaws.Count} view{(yaws.Count == 1 ? "" : "s")})");
            return Task.CompletedTask;
        });
        return command;
    }

    public static IReadOnlyList<float> ParseAngles(string text)
    {
        var list = new List<float>();
        foreach (var token in text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var angle) || !float.IsFinite(angle))
                throw new InputException($"--angles: '{token}' is not a number of degrees.");
            list.Add(angle);
        }
        if (list.Count is 0 or > 36) throw new InputException($"--angles needs 1..36 angles; it has {list.Count}.");
        return list;
    }

    /// <summary>The scene a file holds, with a short description of it.</summary>
    public static Scene Load(string path, byte threshold, out string what)
    {
        if (!File.Exists(path)) throw new InputException($"{path}: no such file.");
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".ply":
            {
                var ply = PlyReader.Read(path);
                if (ply.VertexCount == 0) throw new InputException($"{path}: the PLY has no vertices.");
                if (ply.TriangleCount > 0)
                {
                    what = $"mesh of {ply.VertexCount:N0} vertices, {ply.TriangleCount:N0} triangles";
                    return new Scene.Mesh(ply.ToHeadMesh());
                }
                what = $"point cloud of {ply.VertexCount:N0} points";
                return new Scene.Points(new HeadPointCloud(ply.Positions, ply.Colors ?? Gray(ply.Positions.Length)));
            }
            case ".obj":
            {
                using var stream = File.OpenRead(path);
                var mesh = ObjReader.Read(stream);
                what = $"mesh of {mesh.VertexCount:N0} vertices, {mesh.TriangleCount:N0} triangles";
                return new Scene.Mesh(mesh);
            }
            case ".csv" when PointClouds.LooksLikePointCsv(path):
            {
                var cloud = PointClouds.ReadCsv(path);
                what = $"point cloud of {cloud.Count:N0} points";
                return new Scene.Points(cloud);
            }
            case ".raw" or ".csv" or ".json" or ".u8":
            {
                var volume = VolumeFiles.Read(path);
                what = VolumeFiles.Describe(volume);
                return HeadViews.TryVolumeSurface(volume, threshold)
                    ?? throw new InputException($"the volume has no voxel ≥ {threshold}: nothing to draw (try a lower --threshold).");
            }
            default:
                throw new InputException($"{path}: render reads .ply, .obj, .csv, .raw or .json.");
        }
    }

    private static byte[] Gray(int length)
    {
        var colors = new byte[length];
        colors.AsSpan().Fill(200);
        return colors;
    }
}
