using System.Globalization;
using KubeAirgap.Bench.Images;

namespace Build.Tasks;

[TaskName("BenchmarkImages")]
[TaskDescription("Pulls images that share a layer from a local docker-registry into one archive; compares bytes and time with skopeo copy one image at a time")]
public sealed class BenchmarkImagesTask : AsyncFrostingTask<BuildContext>
{
    public override async Task RunAsync(BuildContext context)
    {
        var (images, sharedMiB, uniqueMiB) = (context.Settings.Bench.Images, context.Settings.Bench.SharedMiB, context.Settings.Bench.UniqueMiB);
        var work = System.IO.Path.Combine(context.Paths.Artifacts, "benchmark", "images");
        if (Directory.Exists(work))
        {
            Directory.Delete(work, recursive: true);
        }

        try
        {
            var r = await ImageBenchmark.RunAsync(work, images, sharedMiB << 20, uniqueMiB << 20, m => context.Information("{0}", m)).ConfigureAwait(false);
            var c = CultureInfo.InvariantCulture;
            context.Information("images: {0} sharing one {1} MiB layer, {2} MiB unique each", r.Images, sharedMiB, uniqueMiB);
            context.Information("sum of image sizes:      {0,12:N0} bytes", r.SumOfImageSizes);
            context.Information("kube-airgap downloaded:  {0,12:N0} bytes ({1} of the sum); archive {2:N0} bytes", r.BytesDownloaded, r.DownloadRatio.ToString("P1", c), r.ArchiveBytes);
            context.Information("skopeo copy wrote:       {0,12:N0} bytes in {1} archives", r.SkopeoBytes, r.Images);
            context.Information("time kube-airgap: {0} s; skopeo copy one after another: {1} s; ratio {2}x",
                r.PullTime.TotalSeconds.ToString("0.00", c), r.SkopeoTime.TotalSeconds.ToString("0.00", c), r.SpeedUp.ToString("0.0", c));
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
