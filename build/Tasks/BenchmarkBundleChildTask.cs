using Cake.Common;
using System.Globalization;
using KubeAirgap.Bench.Bundle;

namespace Build.Tasks;

/// <summary>BenchmarkBundle's child process: Bundle on a prepared synthetic directory, then its own peak RSS (not for users).</summary>
[TaskName("BenchmarkBundleChild")]
[TaskDescription("(BenchmarkBundle's child process) Bundle on --bench_dir, prints the peak RSS")]
public sealed class BenchmarkBundleChildTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        int Number(string name) => int.Parse(context.Argument(name, "0"), CultureInfo.InvariantCulture);
        var dir = context.Argument("bench_dir", string.Empty);
        if (dir.Length == 0 || !Directory.Exists(dir))
        {
            throw new InvalidOperationException($"--bench_dir={dir}: not a directory BenchmarkBundle prepared");
        }

        Console.Out.WriteLine(BundleBenchmark.RunChild(dir, context.Paths.Installer, context.Pins, Number("bench_nodes"), Number("bench_level"), Number("bench_parallelism")));
    }
}
