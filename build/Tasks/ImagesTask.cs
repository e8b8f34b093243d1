using KubeAirgap.Diagnostics;
using KubeAirgap.Fetch.Progress;
using KubeAirgap.Images;

namespace Build.Tasks;

[TaskName("Images")]
[TaskDescription("Pulls every image each payload (arch + roles) needs into one verified OCI archive; checks rendered node trees name only archived images")]
[IsDependentOn(typeof(RenderTask))]
public sealed class ImagesTask : AsyncFrostingTask<BuildContext>
{
    public override async Task RunAsync(BuildContext context)
    {
        var cluster = context.Cluster;
        using var client = StageInputs.NewRegistryClient(context);
        var images = new ClusterImages(cluster, key => context.Paths.Payload(cluster.Name, key.Name));
        var pins = context.Pins = await images.PinAsync(client, context.PinsPath, context.Pins, context.Offline, context.AllowUnpinnedImages,
            line => context.Information("{0}", line), line => context.Warning("{0}", line)).ConfigureAwait(false);

        client.Progress = new LogProgress(line => context.Verbose("{0}", line));
        var stage = new ImageStage(client, context.Settings.Registries.Parallelism) { Log = message => context.Information("{0}", message) };
        await images.BuildAsync(stage, pins, ClusterImages.ArchiveTime(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"))).ConfigureAwait(false);

        var errors = images.Check(
            node => context.Paths.NodeTree(cluster.Name, node),
            node => context.Verbose("{0}: not rendered yet; its images are checked when Images runs after Render", node));
        foreach (var error in errors)
        {
            context.Error("{0}", error);
        }

        if (errors.Count > 0)
        {
            throw new InputException("Image completeness check failed", errors);
        }
    }
}
