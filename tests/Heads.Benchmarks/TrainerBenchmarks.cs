using System.Collections.Concurrent;
using System.Diagnostics;
using Heads.Core.Models;
using Heads.Core.Training;
using Heads.Core.Training.Jobs;
using static TorchSharp.torch;

namespace Heads.Benchmarks;

/// <summary>
/// FaceNet2 as the trainer service runs it: the volume split into voxel shards that replicas take from one queue, each
/// shard trained with pruning and saved, then the model evaluated shard by shard. Wall time with 1 and 2 in-process
/// replicas (threads sharing this machine's cores, as replicas on one machine do), and a projection to N machines from the
/// measured per-shard times (each machine taking the next shard when it is free, as competing consumers do).
/// </summary>
public sealed class TrainerBenchmarks : IBenchmarkSuite
{
    private const int TrainHeads = 32;
    private const int HeldOutHeads = 8;
    private const int Epochs = 5;
    private const int ShardSize = VoxelShardPlan.DefaultShardSize;

    public string Name => "trainer";

    private sealed record ShardRun(VoxelShardRange Range, double Seconds, ModelManifest Manifest, byte[] Weights);

    private sealed record JobRun(double WallSeconds, double TrainSeconds, double AssemblySeconds, IReadOnlyList<ShardRun> Shards, QualityReport Quality);

    public void Run(BenchmarkReport report)
    {
        int cores = Environment.ProcessorCount;
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, cores + 8), io);
        var (train, heldOut, source) = Data();
        var options = new FaceNet2Options { Epochs = Epochs, SampleLimit = null, PruneConstantVoxels = true };
        var plan = VoxelShardPlan.Split(ShardSize);
        report.Note($"FaceNet2 job: {source}, {train.Count} training + {heldOut.Count} held-out heads, {Epochs} epochs, batch {options.BatchSize}, " +
                    $"{plan.Count} shards of {ShardSize} voxels, pruning on, {cores} cores");

        // Warm-up: JIT, libtorch kernels, allocator.
        using (VoxelShardTrainer.Train(train, 16000, 64, options with { Epochs = 1, Threads = cores })) { }

        var one = RunJob(train, heldOut, plan, options, replicas: 1, threadsEach: cores);
        var two = RunJob(train, heldOut, plan, options, replicas: 2, threadsEach: Math.Max(1, cores / 2));
        int trained = one.Shards.Sum(s => s.Manifest.Voxels!.Trained);
        report.Note($"{trained} voxel networks trained, {32768 - trained} voxels pruned; final mean loss {MeanFinalLoss(one):G4}; " +
                    $"held-out IoU {one.Quality.Model.OccupancyIoU:F3} (mean head {one.Quality.MeanHead.OccupancyIoU:F3}, ridge {one.Quality.Ridge.OccupancyIoU:F3})");

        report.Figure("FaceNet2 job wall time, 1 replica × " + cores + " threads", one.WallSeconds, "s");
        report.Figure("FaceNet2 job wall time, 2 replicas × " + Math.Max(1, cores / 2) + " threads", two.WallSeconds, "s", one.WallSeconds, "1 replica");
        report.Figure("  of which shard training (1 replica)", one.TrainSeconds, "s");
        report.Figure("  of which assembly + held-out evaluation", one.AssemblySeconds, "s");
        var busy = one.Shards.Where(s => s.Manifest.Voxels!.Trained > 0).ToList();
        report.Figure("per shard with networks (1 replica, mean of " + busy.Count + ")", busy.Average(s => s.Seconds), "s");
        report.Figure("per shard, longest", one.Shards.Max(s => s.Seconds), "s");
        report.Figure("per trained voxel network (1 replica)", one.TrainSeconds / Math.Max(1, trained) * 1000, "ms");
        report.Figure("shard throughput, 2 replicas vs 1", two.TrainSeconds > 0 ? one.TrainSeconds / two.TrainSeconds : 0, "×", 1, "1 replica");

        // Each extra machine brings its own cores and memory bandwidth, so a shard takes there what it took one replica here.
        var times = one.Shards.Select(s => s.Seconds).ToList();
        foreach (int machines in new[] { 2, 4, 8, 16 })
        {
            double projected = Schedule(times, machines) + one.AssemblySeconds;
            report.Figure($"projected job wall time on {machines} machines like this one", projected, "s", one.WallSeconds, "1 machine, measured");
        }
        report.Note($"projection floor: the longest shard ({one.Shards.Max(s => s.Seconds):F2} s) + assembly; smaller shards spread unbalanced (pruned) work better");
    }

    private static double MeanFinalLoss(JobRun run)
    {
        var withLoss = run.Shards.Where(s => s.Manifest.EpochLosses.Count > 0).ToList();
        return withLoss.Sum(s => s.Manifest.EpochLosses[^1] * s.Manifest.Voxels!.Trained) / Math.Max(1, withLoss.Sum(s => s.Manifest.Voxels!.Trained));
    }

    /// <summary>Competing consumers: shards leave the queue in order, each to the machine that frees up first.</summary>
    private static double Schedule(IReadOnlyList<double> shardSeconds, int machines)
    {
        var free = new PriorityQueue<int, double>();
        for (int m = 0; m < machines; m++) free.Enqueue(m, 0);
        double end = 0;
        foreach (var t in shardSeconds)
        {
            free.TryDequeue(out int machine, out double at);
            end = Math.Max(end, at + t);
            free.Enqueue(machine, at + t);
        }
        return end;
    }

    private static JobRun RunJob(FaceNetTrainingSet train, FaceNetTrainingSet heldOut, IReadOnlyList<VoxelShardRange> plan, FaceNet2Options options, int replicas, int threadsEach)
    {
        // Torch threads are per process; replicas on one machine each get their share, as the AppHost sets Trainer:TorchThreads.
        set_num_threads(threadsEach);
        var queue = new ConcurrentQueue<VoxelShardRange>(plan);
        var done = new ConcurrentBag<ShardRun>();
        var wall = Stopwatch.StartNew();
        var threads = Enumerable.Range(0, replicas).Select(_ => new Thread(() =>
        {
            var replicaOptions = options with { Threads = threadsEach, EnsembleSize = Math.Min(ShardSize, options.EnsembleSize) };
            while (queue.TryDequeue(out var range))
            {
                var clock = Stopwatch.StartNew();
                using var shard = VoxelShardTrainer.Train(train, range.First, range.Count, replicaOptions);
                using var weights = new MemoryStream();
                var manifest = shard.Save(weights);
                done.Add(new ShardRun(range, clock.Elapsed.TotalSeconds, manifest, weights.ToArray()));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        double trainSeconds = wall.Elapsed.TotalSeconds;

        var assembly = Stopwatch.StartNew();
        var shards = done.OrderBy(s => s.Range.First).ToList();
        var byFirst = shards.ToDictionary(s => s.Range.First);
        var predictor = new ShardSequencePredictor(shards.Select(s => s.Manifest).ToList(), m => new MemoryStream(byFirst[m.Voxels!.First].Weights, writable: false));
        var quality = FaceNetEvaluation.Evaluate(predictor, train, heldOut);
        return new JobRun(wall.Elapsed.TotalSeconds, trainSeconds, assembly.Elapsed.TotalSeconds, shards, quality);
    }

    /// <summary>The original faces and volumes when ../shared/data is beside the checkout; otherwise seeded synthetic heads.</summary>
    private static (FaceNetTrainingSet Train, FaceNetTrainingSet HeldOut, string Source) Data()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var facenet = Path.Combine(dir.FullName, "shared", "data", "facenet");
            if (File.Exists(Path.Combine(facenet, "train_x.dat")) && File.Exists(Path.Combine(facenet, "train_y.dat.gz")))
            {
                var all = FaceNetTrainingSet.Load(Path.Combine(facenet, "train_x.dat"), Path.Combine(facenet, "train_y.dat.gz"), TrainHeads + HeldOutHeads, "facenet");
                return (all.Take(TrainHeads), all.Select(Enumerable.Range(TrainHeads, HeldOutHeads).ToList()), "original FaceTo3D faces and volumes");
            }
        }
        var rng = new Random(3);
        int n = TrainHeads + HeldOutHeads;
        var faces = new byte[n * 1024];
        rng.NextBytes(faces);
        var volumes = new byte[n * 32768];
        for (int s = 0; s < n; s++)
            for (int v = 0; v < 32768; v++)
            {
                int x = v % 32 - 16, y = v / 32 % 32 - 16, z = v / 1024 - 16;
                int r2 = x * x + y * y + z * z;
                // A shell whose thickness follows the face: about 3,600 varying voxels, like the first 32 original heads.
                volumes[s * 32768 + v] = r2 <= 64 ? (byte)128 : r2 <= 100 && faces[s * 1024 + v % 1024] > 96 ? (byte)(faces[s * 1024 + v % 1024] / 2) : (byte)0;
            }
        var set = new FaceNetTrainingSet(faces, volumes, "synthetic");
        return (set.Take(TrainHeads), set.Select(Enumerable.Range(TrainHeads, HeldOutHeads).ToList()), "synthetic heads (shared data not found)");
    }
}
