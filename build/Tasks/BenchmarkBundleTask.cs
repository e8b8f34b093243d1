using System.Globalization;
using KubeAirgap.Bench.Bundle;

namespace Build.Tasks;

[TaskName("BenchmarkBundle")]
[TaskDescription("Bundle against naive per-node tar czf at 3 and 50 synthetic nodes, fleet layout at 3/50/200, compression against gzip -6, no-op rebuild, peak RSS (--bundle_benchmarkrows=noop,fleet,... picks rows)")]
public sealed class BenchmarkBundleTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        static IReadOnlyList<int> Numbers(string text) =>
            text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToList();
        var options = new BundleBenchmark.Options(
            context.Setting("Bundle", "BenchmarkPayloadMB", 300),
            Numbers(context.Setting("Bundle", "BenchmarkNodes", "3,50")),
            Numbers(context.Setting("Bundle", "BenchmarkRssMB", "40,1024")),
            BundleSettings.Level(context),
            BundleSettings.Parallelism(context),
            (dir, nodes, level, parallelism) => BenchmarkBundleChildTask.Start(context, dir, nodes, level, parallelism),
            Numbers(context.Setting("Bundle", "BenchmarkFleetNodes", "3,50,200")),
            context.Setting("Bundle", "BenchmarkRows", string.Join(',', BundleBenchmark.AllRows)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var report = BundleBenchmark.Run(context.Paths.Installer, context.Pins, options, line => context.Information("{0}", line));
        foreach (var line in BundleBenchmark.Render(report, options))
        {
            context.Information("{0}", line);
        }
    }
}
