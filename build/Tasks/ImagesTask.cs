using Cake.Common;
using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch;
using KubeAirgap.Fetch.Progress;
using KubeAirgap.Images;
using KubeAirgap.Images.Lock;
using KubeAirgap.Images.Registry;
using KubeAirgap.Layout;
using KubeAirgap.Content;

namespace Build.Tasks;

[TaskName("Images")]
[TaskDescription("Pulls every image each payload (arch + roles) needs into one verified OCI archive; checks rendered node trees name only archived images")]
[IsDependentOn(typeof(RenderTask))]
public sealed class ImagesTask : AsyncFrostingTask<BuildContext>
{
    /// <summary>The registry client as cake.config's [Registries] and [Fetch] configure it (shared with Lock).</summary>
    internal static RegistryClient ClientOf(BuildContext context)
    {
        var downloads = FetchTask.DownloadOptionsOf(context);
        var options = RegistryOptions.Parse(
            context.Setting("Registries", "Mirrors", string.Empty),
            context.Setting("Registries", "Insecure", string.Empty),
            RegistryCredentials.FromEnvironment()) with
        {
            Offline = context.Offline,
            FallBackToUpstream = context.Setting("Registries", "FallBackToUpstream", true),
            MaxAttempts = downloads.Retries + 1,
            BaseDelay = downloads.RetryDelay,
        };
        var client = new RegistryClient(options with { RequireDigests = !AllowUnpinned(context) }, new ArtifactCache(context.Paths.Cache), downloads);
        client.OnRetry = message => context.Warning("{0}", message);
        return client;
    }

    /// <summary>--allow_unpinned_images=true: build with images that have no digest (the bundle says so).</summary>
    internal static bool AllowUnpinned(BuildContext context) =>
        context.HasArgument("allow_unpinned_images") && context.Argument("allow_unpinned_images", "true") != "false";

    public override async Task RunAsync(BuildContext context)
    {
        var cluster = context.Cluster;
        var pins = context.Pins;
        using var client = ClientOf(context);
        var unpinned = ImagePinning.Unpinned(PayloadKey.AllOf(cluster).SelectMany(k => ImagePlan.For(k, cluster, pins)));
        IReadOnlyList<ImageLockEntry> attempts = [];
        if (unpinned.Count > 0 && !context.Offline && ImagePinning.PinsEntries(pins, unpinned) is { Count: > 0 } entries)
        {
            // trust on first use: the upstream registry over TLS, recorded in pins.yaml for every later build
            attempts = await new ImageDigestLocker(client).LockAsync(context.PinsPath, entries).ConfigureAwait(false);
            foreach (var entry in attempts)
            {
                context.Information("{0}", entry);
            }

            pins = context.Pins = KubeAirgap.Pins.PinsLoader.LoadValid(context.PinsPath);
            unpinned = ImagePinning.Unpinned(PayloadKey.AllOf(cluster).SelectMany(k => ImagePlan.For(k, cluster, pins)));
        }

        if (unpinned.Count > 0)
        {
            var refusal = ImagePinning.Refusal(unpinned, context.Offline, attempts);
            if (!AllowUnpinned(context))
            {
                throw refusal;
            }

            context.Warning("--allow_unpinned_images: {0}", refusal.Message);
        }

        client.Progress = new LogProgress(line => context.Verbose("{0}", line));
        var stage = new ImageStage(client, context.Setting("Registries", "Parallelism", 4)) { Log = message => context.Information("{0}", message) };
        var mtime = SourceDateEpoch();
        foreach (var key in PayloadKey.AllOf(cluster))
        {
            var images = ImagePlan.For(key, cluster, pins);
            await stage.BuildAsync(ArchiveOf(context, cluster.Name, key), images, key.Arch, mtime).ConfigureAwait(false);
        }

        var errors = new List<Diagnostic>();
        foreach (var node in cluster.Nodes)
        {
            var tree = context.Paths.NodeTree(cluster.Name, node.Name);
            if (!Directory.Exists(tree))
            {
                context.Verbose("{0}: not rendered yet; its images are checked when Images runs after Render", node.Name);
                continue;
            }

            errors.AddRange(ImageStage.CheckNode(tree, ArchiveOf(context, cluster.Name, PayloadKey.Of(node)), node.Arch));
        }

        foreach (var error in errors)
        {
            context.Error("{0}", error);
        }

        if (errors.Count > 0)
        {
            throw new InputException("Image completeness check failed", errors);
        }
    }

    private static string ArchiveOf(BuildContext context, string cluster, PayloadKey key) =>
        System.IO.Path.Combine(context.Paths.Payload(cluster, key.Name), ImageStage.ArchiveRelativePath);

    /// <summary>The archive's mtime: SOURCE_DATE_EPOCH when set (reproducible-builds.org), else 1970-01-01.</summary>
    private static DateTimeOffset SourceDateEpoch() =>
        long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.UnixEpoch;
}
