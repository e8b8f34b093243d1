using KubeAirgap.Bench.Bundle;

namespace Build.Tasks;

[TaskName("BenchmarkBundle")]
[TaskDescription("Bundle against naive per-node tar czf at 3 and 50 synthetic nodes, fleet layout at 3/50/200, compression against gzip -6, no-op rebuild, peak RSS (--bundle_benchmarkrows=noop,fleet,... picks rows)")]
public sealed class BenchmarkBundleTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var settings = context.Settings.Bundle;
        var options = new BundleBenchmark.Options(
            settings.BenchmarkPayloadMB,
            settings.BenchmarkNodes,
            settings.BenchmarkRssMB,
            settings.CompressionLevel,
            settings.Threads,
            (dir, nodes, level, parallelism) => BenchmarkBundleChildProcess.Start(context, dir, nodes, level, parallelism),
            settings.BenchmarkFleetNodes,
            settings.BenchmarkRows);
        var report = BundleBenchmark.Run(context.Paths.Installer, context.Pins, options, line => context.Information("{0}", line));
        foreach (var line in BundleBenchmark.Render(report, options))
        {
            context.Information("{0}", line);
        }
    }
}
