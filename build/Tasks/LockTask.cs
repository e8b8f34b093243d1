using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Fetch.Lock;
using KubeAirgap.Images.Lock;
using KubeAirgap.Content;

namespace Build.Tasks;

[TaskName("Lock")]
[TaskDescription("Fills missing checksums in pins.yaml from upstream's published checksum files over https (--lock_download=true: compute the rest from a download, marked as such), and image digests from the upstream registries over TLS (trust on first use); never through mirrors")]
public sealed class LockTask : AsyncFrostingTask<BuildContext>
{
    public override async Task RunAsync(BuildContext context)
    {
        if (context.Offline)
        {
            throw new InvalidOperationException("Lock reads upstream checksum files: it cannot run with --offline");
        }

        using var downloader = new VerifiedDownloader(new ArtifactCache(context.Paths.Cache), context.Settings.Fetch.Download);
        var locker = new PinsLocker(downloader);
        var report = await locker.LockAsync(context.PinsPath, context.Settings.Lock.Download);
        foreach (var (entry, line) in report.Entries.Zip(report.Lines()))
        {
            if (entry.Sha256 is null || entry.Computed)
            {
                context.Warning("{0}", line);
            }
            else
            {
                context.Information("{0}", line);
            }
        }

        context.Information("Lock: {0} checksum(s) filled in {1}, {2} still missing",
            report.Filled.Count(), context.PinsPath, report.Unfilled.Count());

        // container images: record the digest each tag points at now
        using var client = StageInputs.NewRegistryClient(context);
        var images = await new ImageDigestLocker(client).LockAsync(context.PinsPath);
        foreach (var entry in images)
        {
            if (entry.Digest is null)
            {
                context.Warning("{0}", entry);
            }
            else
            {
                context.Information("{0}", entry);
            }
        }

        var unlockedImages = images.Count(i => i.Digest is null);
        if (report.Unfilled.Any() || unlockedImages > 0)
        {
            throw new InvalidOperationException($"{report.Unfilled.Count()} checksum(s) and {unlockedImages} image digest(s) could not be filled (see above)");
        }
    }
}
