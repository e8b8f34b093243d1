using System.Globalization;
using KubeAirgap.Bench.Bundle;
using KubeAirgap.Pins;

namespace Build.Tasks;

[TaskName("BenchmarkBundle")]
[TaskDescription("Times Bundle for 3 and 50 synthetic nodes against naive per-node tar czf, and the bytes each writes")]
public sealed class BenchmarkBundleTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var megabytes = context.Setting("Bundle", "BenchmarkPayloadMB", 40);
        var nodes = context.Setting("Bundle", "BenchmarkNodes", "3,50")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => int.Parse(n, CultureInfo.InvariantCulture))
            .ToList();
        var pins = context.Pins;
        var work = System.IO.Path.Combine(context.Paths.Artifacts, "benchmark", "bundle");
        var total = megabytes * 1024L * 1024L;
        context.Information("synthetic payload: {0} MiB per node ({1} MiB binaries, {2} MiB images), gzip level {3}", megabytes, total / 2 / (1024 * 1024), total / 2 / (1024 * 1024), BundleSettings.Level(context));
        try
        {
            var rows = BundleBenchmark.Run(work, context.Paths.Installer, pins, nodes, total / 2, total / 2, BundleSettings.Level(context), BundleSettings.Parallelism(context), line => context.Information("{0}", line));
            foreach (var line in BundleBenchmark.Render(rows))
            {
                context.Information("{0}", line);
            }
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}
