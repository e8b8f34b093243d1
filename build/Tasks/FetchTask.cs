using KubeAirgap.Fetch;
using KubeAirgap.Content.Download;
using KubeAirgap.Fetch.Lock;
using KubeAirgap.Fetch.Progress;
using KubeAirgap.Layout;
using Spectre.Console;
using KubeAirgap.Content;

namespace Build.Tasks;

[TaskName("Fetch")]
[TaskDescription("Downloads and verifies every pinned artifact the cluster's nodes need (cache, mirrors, --offline) and stages them per payload")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class FetchTask : AsyncFrostingTask<BuildContext>
{
    public override async Task RunAsync(BuildContext context)
    {
        var cluster = context.Cluster;
        var pins = context.Pins;
        var cache = new ArtifactCache(context.Paths.Cache) { OnRejected = message => context.Warning("{0}", message) };
        using var downloader = new VerifiedDownloader(cache, DownloadOptionsOf(context));
        var unlocked = FetchPlan.Unlocked(pins, cluster.KubernetesVersion, PayloadKey.AllOf(cluster));
        if (unlocked.Count > 0 && !context.Offline)
        {
            // the first build with internet needs no separate Lock: upstream's published checksums, over https only
            var report = await new PinsLocker(downloader).LockAsync(context.PinsPath, allowDownload: false,
                (component, arch) => unlocked.Contains((component.Name, component.Version, arch)));
            foreach (var line in report.Lines())
            {
                context.Information("{0}", line);
            }

            pins = context.Pins = KubeAirgap.Pins.PinsLoader.LoadValid(context.PinsPath);
        }

        var plan = FetchPlan.For(pins, cluster.KubernetesVersion, PayloadKey.AllOf(cluster), context.PinsPath, context.Offline);
        var fetcher = new Fetcher(downloader, MirrorsOf(context), context.Setting("Fetch", "Parallelism", 4), Path.GetDirectoryName(context.PinsPath)!);
        context.Information("Fetch: {0} artifact(s) for {1} payload(s), cache {2}{3}",
            plan.Artifacts.Count, plan.ByPayload.Count, cache.Root, context.Offline ? " (offline)" : string.Empty);

        var interactive = context.Setting("Fetch", "Progress", "auto") switch
        {
            "bars" => true,
            "plain" => false,
            _ => Interactive(),
        };
        var result = interactive
            ? await SpectreProgress.RunAsync(AnsiConsole.Console, progress => fetcher.FetchAsync(plan, context.Offline, progress))
            : await fetcher.FetchAsync(plan, context.Offline, new LogProgress(line => context.Information("{0}", line)));

        var staged = Stager.Stage(plan, result, key => context.Paths.Payload(cluster.Name, key.Name));
        foreach (var key in plan.ByPayload.Keys)
        {
            context.Information("payload {0}: {1}", key.Name, staged.Contains(key) ? "staged" : "unchanged");
        }

        if (interactive)
        {
            AnsiConsole.Write(FetchSummary.Table(result));
        }
        else
        {
            context.Information("{0}", FetchSummary.Plain(result));
        }
    }

    /// <summary>Progress bars only on a terminal; plain lines when output is redirected or NO_COLOR is set.</summary>
    internal static bool Interactive() =>
        !Console.IsOutputRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
        && AnsiConsole.Profile.Capabilities.Interactive;

    internal static DownloadOptions DownloadOptionsOf(BuildContext context) => new()
    {
        Retries = context.Setting("Fetch", "Retries", 4),
        RetryDelay = TimeSpan.FromSeconds(context.Setting("Fetch", "RetryDelaySeconds", 1)),
        IdleTimeout = TimeSpan.FromSeconds(context.Setting("Fetch", "TimeoutSeconds", 30)),
    };

    internal static MirrorMap MirrorsOf(BuildContext context) =>
        MirrorMap.Parse(context.Setting("Mirrors", "Map", string.Empty), context.Setting("Mirrors", "Upstream", true));
}
