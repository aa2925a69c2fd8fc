using System.Globalization;
using System.Text;
using Heads.Core.Geometry;
using Heads.Core.Geometry.Ply;
using Heads.Core.Imaging;

namespace Heads.Benchmarks;

/// <summary>
/// PLY parsing, voxelisation, icosphere mapping and face preprocessing, each beside a naive baseline measured in
/// the same run.
/// </summary>
public sealed class GeometryBenchmarks : IBenchmarkSuite
{
    public string Name => "geometry";

    public void Run(BenchmarkReport report)
    {
        PlyParsing(report);
        Voxelisation(report);
        IcosphereMapping(report);
        FacePreprocessing(report);
    }

    private static void PlyParsing(BenchmarkReport report)
    {
        // 1000 × 1000 vertex grid (1M vertices, ~2M triangles) with normals and colours.
        var mesh = Grid(1000);
        byte[] binary;
        using (var ms = new MemoryStream())
        {
            PlyWriter.Write(ms, mesh, new PlyWriteOptions { IncludeNormals = true });
            binary = ms.ToArray();
        }
        double mb = binary.Length / 1e6;
        report.Note($"binary PLY: {mesh.VertexCount:N0} vertices, {mesh.TriangleCount:N0} triangles, {mb:N1} MB");
        double fast = BenchmarkReport.Time(() => PlyReader.Read(new MemoryStream(binary)), 3, 3);
        double naive = BenchmarkReport.Time(() => NaiveBinaryRead(new MemoryStream(binary)), 3, 2);
        report.Figure("PLY binary parse, 1M vertices", mb / fast, "MB/s", mb / naive, "BinaryReader per field");

        var small = Grid(300);
        byte[] ascii;
        using (var ms = new MemoryStream())
        {
            PlyWriter.Write(ms, small, new PlyWriteOptions { Format = PlyFormat.Ascii, IncludeNormals = true });
            ascii = ms.ToArray();
        }
        double amb = ascii.Length / 1e6;
        report.Note($"ascii PLY: {small.VertexCount:N0} vertices, {amb:N1} MB");
        double fastAscii = BenchmarkReport.Time(() => PlyReader.Read(new MemoryStream(ascii)), 2, 2);
        double naiveAscii = BenchmarkReport.Time(() => NaiveAsciiRead(new MemoryStream(ascii)), 2, 2);
        report.Figure("PLY ascii parse", amb / fastAscii, "MB/s", amb / naiveAscii, "StreamReader+Split+float.Parse");
    }

    private static void Voxelisation(BenchmarkReport report)
    {
        var head = Sphere(224, 224);
        report.Note($"voxelised mesh: {head.VertexCount:N0} vertices, {head.TriangleCount:N0} triangles, 32³");
        var destination = new byte[32 * 32 * 32];
        var surface = new VoxelizerOptions();
        var vertices = new VoxelizerOptions { Sampling = VoxelSampling.VerticesOnly };
        double fast = BenchmarkReport.Time(() => Voxelizer.Voxelize(head.Positions, head.Colors, head.Triangles, destination, surface), 2, 5);
        int surfaceOccupied = VoxelVolume.CountOccupied(destination);
        double baseline = BenchmarkReport.Time(() => Voxelizer.Voxelize(head.Positions, head.Colors, head.Triangles, destination, vertices), 2, 5);
        report.Figure("voxelise 100k triangles, surface sampling", 1 / fast, "meshes/s", 1 / baseline, "vertices only");
        report.Note($"occupied voxels: surface {surfaceOccupied}, vertices only {VoxelVolume.CountOccupied(destination)}");

        // The coarse case surface sampling exists for: a 500-triangle head leaves holes when only vertices count.
        var coarse = Sphere(16, 17);
        double coarseFast = BenchmarkReport.Time(() => Voxelizer.Voxelize(coarse.Positions, coarse.Colors, coarse.Triangles, destination, surface), 1, 5);
        int coarseSurface = VoxelVolume.CountOccupied(destination);
        Voxelizer.Voxelize(coarse.Positions, coarse.Colors, coarse.Triangles, destination, vertices);
        report.Figure($"voxelise {coarse.TriangleCount} triangles, surface sampling", 1 / coarseFast, "meshes/s");
        report.Note($"coarse mesh occupied voxels: surface {coarseSurface}, vertices only {VoxelVolume.CountOccupied(destination)}");
    }

    private static void IcosphereMapping(BenchmarkReport report)
    {
        var index = IcosphereIndex.HeadsNet;
        var sphere = index.Sphere.Positions;
        var rng = new Random(1);
        const int n = 200_000;
        var points = new float[n * 3];
        for (int i = 0; i < points.Length; i += 3)
        {
            double x = rng.NextDouble() * 2 - 1, y = rng.NextDouble() * 2 - 1, z = rng.NextDouble() * 2 - 1;
            double len = Math.Sqrt(x * x + y * y + z * z) + 1e-12;
            points[i] = (float)(x / len); points[i + 1] = (float)(y / len); points[i + 2] = (float)(z / len);
        }
        var nearest = new int[n];
        double fast = BenchmarkReport.Time(() => index.Nearest(points, nearest), 2, 3) / n;
        const int bruteCount = 4000;
        int sink = 0;
        double brute = BenchmarkReport.Time(() =>
        {
            for (int i = 0; i < bruteCount; i++) sink += IcosphereIndex.NearestBruteForce(sphere, points[i * 3], points[i * 3 + 1], points[i * 3 + 2]);
        }, 2, 2) / bruteCount;
        int agree = 0;
        for (int i = 0; i < bruteCount; i++)
            if (IcosphereIndex.NearestBruteForce(sphere, points[i * 3], points[i * 3 + 1], points[i * 3 + 2]) == nearest[i]) agree++;
        report.Figure("icosphere nearest vertex (10,242)", 1 / fast, "vertices/s", 1 / brute, "original brute force");
        report.Note($"index: {index.Resolution}² cells per cube face, {index.MeanCandidates:N1} candidates per query; agrees with brute force on {agree}/{bruteCount} (rest are float ties) {sink % 2}");

        // Whole HeadsNet encoding of a 50k-vertex head: normalise, trace to sphere, map, emit rows.
        var head = Sphere(224, 224);
        var encoder = new HeadsNetEncoder();
        var rows = new float[head.VertexCount * HeadsNetRow.Floats];
        double encode = BenchmarkReport.Time(() => encoder.Encode(head, 0.5f, rows), 2, 3);
        report.Figure("HeadsNet encode (normalise, trace, map, emit)", head.VertexCount / encode, "vertices/s", 1 / brute, "brute-force mapping alone");
    }

    private static void FacePreprocessing(BenchmarkReport report)
    {
        var path = LocateTestFace();
        if (path is null)
        {
            report.Note("test_face.jpeg not found (../shared/data/facenet); face preprocessing skipped");
            return;
        }
        var jpeg = File.ReadAllBytes(path);
        var info = SixLabors.ImageSharp.Image.Identify(jpeg);
        report.Note($"test_face.jpeg: {info.Width}×{info.Height}, {jpeg.Length / 1024.0:N0} KiB");
        double t = BenchmarkReport.Time(() => FaceImage.Load(jpeg), 3, 3);
        double decodeOnly = BenchmarkReport.Time(() =>
        {
            using var image = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(jpeg);
        }, 2, 3);
        report.Figure("face preprocessing (decode, Lanczos 32×32, luma)", 1 / t, "images/s", 1 / decodeOnly, "JPEG decode alone");
    }

    private static string? LocateTestFace()
    {
        var env = Environment.GetEnvironmentVariable("HEADS_SHARED_DATA");
        if (!string.IsNullOrEmpty(env)) return Path.Combine(env, "facenet", "test_face.jpeg");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "facenet", "test_face.jpeg");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static HeadMesh Grid(int side)
    {
        var p = new float[side * side * 3];
        var c = new byte[side * side * 3];
        for (int y = 0, v = 0; y < side; y++)
            for (int x = 0; x < side; x++, v++)
            {
                p[v * 3] = x / (float)side;
                p[v * 3 + 1] = y / (float)side;
                p[v * 3 + 2] = MathF.Sin(x * 0.05f) * MathF.Cos(y * 0.05f) * 0.1f;
                c[v * 3] = (byte)x; c[v * 3 + 1] = (byte)y; c[v * 3 + 2] = (byte)(x ^ y);
            }
        var t = new int[(side - 1) * (side - 1) * 6];
        int o = 0;
        for (int y = 0; y < side - 1; y++)
            for (int x = 0; x < side - 1; x++)
            {
                int a = y * side + x;
                t[o++] = a; t[o++] = a + 1; t[o++] = a + side + 1;
                t[o++] = a; t[o++] = a + side + 1; t[o++] = a + side;
            }
        return new HeadMesh(p, c, t);
    }

    private static HeadMesh Sphere(int stacks, int slices)
    {
        int n = 2 + (stacks - 1) * slices;
        var p = new float[n * 3];
        var c = new byte[n * 3];
        void Put(int v, double x, double y, double z)
        {
            // A head-ish ellipsoid.
            p[v * 3] = (float)(0.8 * x); p[v * 3 + 1] = (float)(1.1 * y); p[v * 3 + 2] = (float)(0.9 * z);
            c[v * 3] = (byte)(150 + 100 * x); c[v * 3 + 1] = (byte)(120 + 80 * y); c[v * 3 + 2] = (byte)(100 + 60 * z);
        }
        Put(0, 0, 0, 1);
        Put(n - 1, 0, 0, -1);
        for (int s = 1; s < stacks; s++)
            for (int k = 0; k < slices; k++)
            {
                double theta = Math.PI * s / stacks, phi = 2 * Math.PI * k / slices;
                Put(1 + (s - 1) * slices + k, Math.Sin(theta) * Math.Cos(phi), Math.Sin(theta) * Math.Sin(phi), Math.Cos(theta));
            }
        var t = new List<int>(slices * stacks * 6);
        int Ring(int s, int k) => 1 + (s - 1) * slices + k % slices;
        for (int k = 0; k < slices; k++) t.AddRange([0, Ring(1, k), Ring(1, k + 1)]);
        for (int s = 1; s < stacks - 1; s++)
            for (int k = 0; k < slices; k++)
                t.AddRange([Ring(s, k), Ring(s + 1, k), Ring(s + 1, k + 1), Ring(s, k), Ring(s + 1, k + 1), Ring(s, k + 1)]);
        for (int k = 0; k < slices; k++) t.AddRange([n - 1, Ring(stacks - 1, k + 1), Ring(stacks - 1, k)]);
        return new HeadMesh(p, c, t.ToArray());
    }

    /// <summary>The usual first attempt: header lines by hand, then one BinaryReader call per field into lists.</summary>
    private static (List<float> Positions, List<int> Triangles) NaiveBinaryRead(Stream stream)
    {
        var header = new List<string>();
        var line = new StringBuilder();
        while (true)
        {
            int b = stream.ReadByte();
            if (b < 0) throw new EndOfStreamException();
            if (b != '\n') { line.Append((char)b); continue; }
            header.Add(line.ToString());
            if (line.ToString() == "end_header") break;
            line.Clear();
        }
        int vertices = 0, faces = 0;
        var props = new List<string>();
        foreach (var h in header)
        {
            var parts = h.Split(' ');
            if (parts[0] == "element" && parts[1] == "vertex") vertices = int.Parse(parts[2], CultureInfo.InvariantCulture);
            if (parts[0] == "element" && parts[1] == "face") faces = int.Parse(parts[2], CultureInfo.InvariantCulture);
            if (parts[0] == "property" && parts[1] != "list") props.Add(parts[1]);
        }
        using var reader = new BinaryReader(stream);
        var positions = new List<float>();
        var triangles = new List<int>();
        for (int v = 0; v < vertices; v++)
            for (int k = 0; k < props.Count; k++)
            {
                float value = props[k] == "float" ? reader.ReadSingle() : reader.ReadByte();
                if (k < 3) positions.Add(value);
            }
        for (int f = 0; f < faces; f++)
        {
            int count = reader.ReadByte();
            for (int k = 0; k < count; k++) triangles.Add(reader.ReadInt32());
        }
        return (positions, triangles);
    }

    private static (List<float> Positions, List<int> Triangles) NaiveAsciiRead(Stream stream)
    {
        using var reader = new StreamReader(stream);
        int vertices = 0, faces = 0;
        string? line;
        while ((line = reader.ReadLine()) != "end_header")
        {
            var parts = line!.Split(' ');
            if (parts[0] == "element" && parts[1] == "vertex") vertices = int.Parse(parts[2], CultureInfo.InvariantCulture);
            if (parts[0] == "element" && parts[1] == "face") faces = int.Parse(parts[2], CultureInfo.InvariantCulture);
        }
        var positions = new List<float>();
        var triangles = new List<int>();
        for (int v = 0; v < vertices; v++)
        {
            // Every field parsed, as the reader under test does (normals and colours too).
            var parts = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int k = 0; k < parts.Length; k++)
            {
                float value = float.Parse(parts[k], CultureInfo.InvariantCulture);
                if (k < 3) positions.Add(value);
            }
        }
        for (int f = 0; f < faces; f++)
        {
            var parts = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int k = 1; k < parts.Length; k++) triangles.Add(int.Parse(parts[k], CultureInfo.InvariantCulture));
        }
        return (positions, triangles);
    }
}
