using KubeAirgap.Content;
using KubeAirgap.Content.Download;
using KubeAirgap.Fetch;
using KubeAirgap.Layout;
using Spectre.Console;

namespace Build.Tasks;

[TaskName("Fetch")]
[TaskDescription("Downloads and verifies every pinned artifact the cluster's nodes need (cache, mirrors, --offline) and stages them per payload")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class FetchTask : AsyncFrostingTask<BuildContext>
{
    public override async Task RunAsync(BuildContext context)
    {
        var cluster = context.Cluster;
        var settings = context.Settings.Fetch;
        var payloads = PayloadKey.AllOf(cluster);
        var cache = new ArtifactCache(context.Paths.Cache) { OnRejected = message => context.Warning("{0}", message) };
        using var downloader = new VerifiedDownloader(cache, settings.Download);
        var stage = new FetchStage(downloader, context.Settings.Mirrors.ToMap(), settings.Parallelism,
            System.IO.Path.GetDirectoryName(context.PinsPath)!, line => context.Information("{0}", line));

        // the first build with internet needs no separate Lock: upstream's published checksums, over https only
        var pins = context.Pins = await stage.LockAsync(context.PinsPath, context.Pins, cluster.KubernetesVersion, payloads, context.Offline);
        var plan = FetchPlan.For(pins, cluster.KubernetesVersion, payloads, context.PinsPath, context.Offline);
        context.Information("Fetch: {0} artifact(s) for {1} payload(s), cache {2}{3}",
            plan.Artifacts.Count, plan.ByPayload.Count, cache.Root, context.Offline ? " (offline)" : string.Empty);
        await stage.RunAsync(plan, context.Offline, key => context.Paths.Payload(cluster.Name, key.Name), settings.Interactive ? AnsiConsole.Console : null);
    }
}
