using System.CommandLine;
using Heads.Cli.Files;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;

namespace Heads.Cli.Commands;

/// <summary><c>heads voxelize</c>: the dataset service's voxelisation (surface sampling, mean luminance, occupied ≥ 1), offline.</summary>
public static class VoxelizeCommand
{
    public static Command Create()
    {
        var mesh = new Argument<string>("MESH") { Description = "A coloured mesh: .ply (any PLY encoding) or .obj." };
        var output = CommonOptions.Output("The volume: .raw (size³ bytes, index z·size² + y·size + x), .csv, .json, .ply (a point per occupied voxel; the surface with --mesh), or .obj / .glb (the surface).", required: true);
        var size = new Option<int>("--size") { Description = "Voxels per axis (the datasets use 32).", DefaultValueFactory = _ => VoxelVolume.DefaultSize };
        var verticesOnly = new Option<bool>("--vertices-only") { Description = "Vertices only, as the original train_y_gen did (coarse meshes get holes); default samples every triangle." };
        var threshold = CommonOptions.Threshold();
        var surface = new Option<bool>("--mesh") { Description = "Write .ply as the marching-cubes surface instead of points." };
        var command = new Command("voxelize", "A mesh as a grayscale voxel volume, exactly as the dataset service makes training volumes.")
        {
            mesh, output, size, verticesOnly, threshold, surface,
        };
        CommandAction.Set(command, (result, ct) =>
        {
            var path = result.GetValue(mesh)!;
            var outputPath = result.GetValue(output)!;
            int side = result.GetValue(size);
            if (side is < 2 or > 256) throw new InputException($"--size must be within 2..256; it was {side}.");
            if (!File.Exists(path)) throw new InputException($"{path}: no such file.");
            HeadMesh head;
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".ply":
                    head = PlyReader.ReadHeadMesh(path);
                    break;
                case ".obj":
                    using (var stream = File.OpenRead(path)) head = ObjReader.Read(stream);
                    break;
                default:
                    throw new InputException($"{path}: voxelize reads .ply or .obj meshes.");
            }
            if (head.VertexCount == 0) throw new InputException($"{path}: the mesh has no vertices.");
            var options = VoxelizerOptions.Default with
            {
                Size = side,
                Sampling = result.GetValue(verticesOnly) ? VoxelSampling.VerticesOnly : VoxelSampling.Surface,
            };
            var volume = Voxelizer.Voxelize(head, options);
            VolumeFiles.Write(outputPath, volume, CommonOptions.ThresholdValue(result.GetValue(threshold)), result.GetValue(surface));
            Console.WriteLine($"{path}: {head.VertexCount:N0} vertices, {head.TriangleCount:N0} triangles → {VolumeFiles.Describe(volume)}");
            Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length:N0} bytes)");
            return Task.CompletedTask;
        });
        return command;
    }
}
