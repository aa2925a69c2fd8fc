using System.CommandLine;
using Heads.Cli.Files;
using Heads.Core.Synthetic;

namespace Heads.Cli.Commands;

/// <summary><c>heads generate</c>: a synthetic head (mesh and photo) exactly as the scraper's default source makes it.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var seed = new Option<long>("--seed") { Description = "The head's seed; the scraper's head syn-N has seed N.", DefaultValueFactory = _ => 1 };
        var output = CommonOptions.Output("The mesh with vertex colours: .ply (binary, with normals), .obj or .glb (binary glTF).", required: true);
        var photo = new Option<string?>("--photo") { Description = "Also write its frontal photograph (256² JPEG, the scraper's pose and light jitter).", HelpName = "FILE" };
        var command = new Command("generate", "A synthetic head: a seeded coloured mesh and, optionally, its photograph, byte-identical to the scraper's syn-N.")
        {
            seed, output, photo,
        };
        CommandAction.Set(command, (result, ct) =>
        {
            long s = result.GetValue(seed);
            if (s < 0) throw new InputException($"--seed must be 0 or more; it was {s}.");
            var path = result.GetValue(output)!;
            if (!MeshFiles.IsMesh(path)) throw new InputException($"{path}: the mesh is written as {string.Join(", ", MeshFiles.Extensions)}.");
            var mesh = new HeadGenerator().Generate((ulong)s);
            MeshFiles.Write(path, mesh, $"Heads synthetic head syn-{s}");
            Console.WriteLine($"syn-{s}: {mesh.VertexCount:N0} vertices, {mesh.TriangleCount:N0} triangles; wrote {path}");
            if (result.GetValue(photo) is { } photoPath)
            {
                // The scraper's defaults (SyntheticSourceOptions): 256 pixels, yaw ±4°, pitch ±3°, light ±20°, JPEG quality 92.
                var settings = new RenderSettings { Width = 256, Height = 256, Supersampling = 2 }.Jittered((ulong)s, 4f, 3f, 20f);
                Atomic.Write(photoPath, HeadRenderer.RenderJpeg(mesh, settings, quality: 92));
                Console.WriteLine($"wrote {photoPath}");
            }
            return Task.CompletedTask;
        });
        return command;
    }
}
