using System.Globalization;
using KubeAirgap.Bench.Fetch;
using KubeAirgap.Fetch.Progress;

namespace Build.Tasks;

[TaskName("BenchmarkFetch")]
[TaskDescription("Fetch vs sequential curl -o + sha256sum from a loopback nginx (--bench_files=20 --bench_sizemb=50); prints the ratio and peak memory")]
public sealed class BenchmarkFetchTask : AsyncFrostingTask<BuildContext>
{
    public override async Task RunAsync(BuildContext context)
    {
        var (files, sizeMb, parallelism) = (context.Settings.Bench.Files, context.Settings.Bench.SizeMb, context.Settings.Fetch.Parallelism);
        var benchmark = new FetchBenchmark(files, sizeMb, parallelism, line => context.Information("{0}", line));
        var r = await benchmark.RunAsync();
        var mib = r.Bytes / (1024.0 * 1024);
        context.Information(string.Create(CultureInfo.InvariantCulture,
            $"BenchmarkFetch: {files} x {sizeMb} MiB = {mib:0} MiB over loopback"));
        context.Information(string.Create(CultureInfo.InvariantCulture,
            $"  naive sequential curl -o + sha256sum: {r.BaselineSeconds:0.00} s ({mib / r.BaselineSeconds:0} MiB/s)"));
        context.Information(string.Create(CultureInfo.InvariantCulture,
            $"  kube-airgap Fetch ({parallelism} parallel, hash while streaming): {r.OursSeconds:0.00} s ({mib / r.OursSeconds:0} MiB/s)"));
        context.Information(string.Create(CultureInfo.InvariantCulture,
            $"  ratio baseline/ours: {r.Ratio:0.00}x"));
        context.Information(
            $"  peak working-set growth while fetching: {Size.Format(r.PeakDeltaLarge)} with {sizeMb} MiB files, {Size.Format(r.PeakDeltaSmall)} with {r.SmallSizeMb} MiB files");
    }
}
