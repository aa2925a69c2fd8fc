using System.CommandLine;
using System.Globalization;
using Heads.Cli.Files;
using Heads.Cli.Models;
using Heads.Cli.Services;
using Heads.Core.Rendering;
using Heads.Core.Geometry.Ply;
using Heads.Core.Inference;
using Heads.Core.Models;

namespace Heads.Cli.Commands;

/// <summary><c>heads sample</c>: a HeadsNet point cloud for a seed, from the inference service or a local model.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var seed = new Option<double?>("--seed") { Description = "The head seed in [0, 1), or a whole number N ≥ 1 meaning frac(N·0.618…), as the service reads it (default: random).", HelpName = "S" };
        var points = new Option<int>("--points", "-n") { Description = "Points in the cloud.", DefaultValueFactory = _ => HeadsNetModel.DefaultPoints, HelpName = "N" };
        var model = new Option<string?>("--model", "-m") { Description = "With a server: headsnet or a job id (default: the newest HeadsNet it serves).", HelpName = "MODEL" };
        var precision = new Option<string>("--precision") { Description = "fp32 (exactly the trained network) or bf16 (hidden layers in bfloat16: about twice as fast on CPUs with AVX-512 BF16 or AMX, points on average 0.3 % of the head's size away).", DefaultValueFactory = _ => "fp32", HelpName = "fp32|bf16" };
        precision.AcceptOnlyFromAmong("fp32", "bf16");
        var server = CommonOptions.Server("inference service", ServiceAddresses.Inference);
        var modelFile = CommonOptions.ModelFile();
        var output = CommonOptions.Output("Write the cloud: .ply (binary: float x, y, z; uchar red, green, blue), .csv (x,y,z,r,g,b lines) or .glb (glTF points with COLOR_0).");
        var command = new Command("sample", "A HeadsNet head: a coloured point cloud for one seed, from the inference service (default) or a local model file.")
        {
            seed, points, model, precision, server, modelFile, output,
        };
        CommonOptions.OneOf(command, server, modelFile);
        CommonOptions.OneOf(command, model, modelFile);
        CommandAction.Set(command, async (result, ct) =>
        {
            int count = result.GetValue(points);
            var arithmetic = result.GetValue(precision) == "bf16" ? HeadsNetPrecision.BFloat16 : HeadsNetPrecision.Float32;
            if (count < 1) throw new InputException($"--points must be at least 1; it was {count}.");
            var given = result.GetValue(seed);
            float? givenSeed = null;
            if (given is { } s)
                givenSeed = HeadsNetSeed.TryFromNumber(s, out var parsedSeed, out var seedError) ? parsedSeed : throw new InputException("--" + seedError);
            var outputPath = result.GetValue(output);
            if (outputPath is not null && Path.GetExtension(outputPath).ToLowerInvariant() is not (".ply" or ".csv"))
                throw new InputException($"cannot write a point cloud as '{Path.GetExtension(outputPath)}' ({outputPath}): use .ply or .csv.");

            HeadPointCloud cloud;
            string source;
            float headSeed;
            if (result.GetValue(modelFile) is { } file)
            {
                using var local = LocalModel.Load(file);
                if (local.Heads is null) throw new InputException($"{file} is a {local.Kind} model; sample needs a HeadsNet (predict turns photos into FaceNet volumes).");
                headSeed = givenSeed ?? Random.Shared.NextSingle();
                cloud = HeadsNetSampler.Sample(local.Heads, headSeed, count, cancellationToken: ct, precision: arithmetic);
                source = local.Description;
            }
            else
            {
                using var client = new ServiceClient("inference service", result.GetValue(server), ServiceAddresses.Inference);
                var query = $"api/v1/heads/random?format=ply&points={count.ToString(CultureInfo.InvariantCulture)}"
                    + (arithmetic == HeadsNetPrecision.BFloat16 ? "&precision=bf16" : "")
                    + (given is { } g ? "&seed=" + g.ToString("R", CultureInfo.InvariantCulture) : "")
                    + (result.GetValue(model) is { } m ? "&model=" + Uri.EscapeDataString(m) : "");
                using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, query), ct);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                using var buffered = new MemoryStream();
                await body.CopyToAsync(buffered, ct);
                buffered.Position = 0;
                var ply = PlyReader.Read(buffered);
                cloud = new HeadPointCloud(ply.Positions, ply.Colors ?? new byte[ply.Positions.Length]);
                headSeed = response.Headers.TryGetValues("X-Heads-Seed", out var seeds) && float.TryParse(seeds.First(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed : givenSeed ?? float.NaN;
                var job = response.Headers.TryGetValues("X-Heads-Job", out var jobs) ? jobs.First() : "?";
                source = $"HeadsNet job {job} ({client.BaseAddress})";
            }

            var (centre, half) = Scene.Bounds(cloud.Positions);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{source}: seed {headSeed:R}, {cloud.Count:N0} points, centre ({centre.X:F3}, {centre.Y:F3}, {centre.Z:F3}), half extent {half:F3}"));
            if (outputPath is not null)
            {
                PointClouds.Write(outputPath, cloud, string.Create(CultureInfo.InvariantCulture, $"{source}, seed {headSeed:R}, {cloud.Count} points"));
                Console.WriteLine($"wrote {outputPath} ({new FileInfo(outputPath).Length:N0} bytes)");
            }
        });
        return command;
    }
}
