using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Lock;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;
using KubeAirgap.Layout;
using KubeAirgap.Pins;

namespace KubeAirgap.Images;

/// <summary>
/// The Images stage for a whole cluster: pins what is unpinned (trust on first use), builds one archive per payload
/// key, then checks every rendered node tree against its payload's archive (the cluster-level completeness check).
/// </summary>
public sealed class ClusterImages(ClusterSpec cluster, Func<PayloadKey, string> payloadDir)
{
    /// <summary>Where the archive of <paramref name="key"/> lives.</summary>
    public string ArchiveOf(PayloadKey key) => Path.Combine(payloadDir(key), ImageStage.ArchiveRelativePath);

    /// <summary>Every image some payload needs that has no digest.</summary>
    public IReadOnlyList<ImageReference> Unpinned(PinsFile pins) =>
        ImagePinning.Unpinned(PayloadKey.AllOf(cluster).SelectMany(k => ImagePlan.For(k, cluster, pins)));

    /// <summary>
    /// Resolves unpinned pins.yaml images once from their upstream registries over TLS and records them in
    /// <paramref name="pinsPath"/> (not when <paramref name="offline"/>); what stays unpinned is refused, or with
    /// <paramref name="allowUnpinned"/> a warning. Returns the pins to build with (re-read when it locked any).
    /// </summary>
    public async Task<PinsFile> PinAsync(RegistryClient client, string pinsPath, PinsFile pins, bool offline, bool allowUnpinned, Action<string> info, Action<string> warn)
    {
        var unpinned = Unpinned(pins);
        IReadOnlyList<ImageLockEntry> attempts = [];
        if (unpinned.Count > 0 && !offline && ImagePinning.PinsEntries(pins, unpinned) is { Count: > 0 } entries)
        {
            attempts = await new ImageDigestLocker(client).LockAsync(pinsPath, entries).ConfigureAwait(false);
            foreach (var entry in attempts)
            {
                info(entry.ToString());
            }

            pins = PinsLoader.LoadValid(pinsPath);
            unpinned = Unpinned(pins);
        }

        if (unpinned.Count > 0)
        {
            var refusal = ImagePinning.Refusal(unpinned, offline, attempts);
            if (!allowUnpinned)
            {
                throw refusal;
            }

            warn($"--allow_unpinned_images: {refusal.Message}");
        }

        return pins;
    }

    /// <summary>One archive per payload key, with the images <see cref="ImagePlan"/> gives it.</summary>
    public async Task BuildAsync(ImageStage stage, PinsFile pins, DateTimeOffset mtime, CancellationToken cancellationToken = default)
    {
        foreach (var key in PayloadKey.AllOf(cluster))
        {
            await stage.BuildAsync(ArchiveOf(key), ImagePlan.For(key, cluster, pins), key.Arch, mtime, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every image each rendered node tree names, checked against the archive of that node's payload. A node whose
    /// tree does not exist yet (Images ran before Render) is passed to <paramref name="notRendered"/> and skipped.
    /// </summary>
    public IReadOnlyList<Diagnostic> Check(Func<string, string> nodeTree, Action<string>? notRendered = null)
    {
        var errors = new List<Diagnostic>();
        foreach (var node in cluster.Nodes)
        {
            var tree = nodeTree(node.Name);
            if (!Directory.Exists(tree))
            {
                notRendered?.Invoke(node.Name);
                continue;
            }

            errors.AddRange(ImageStage.CheckNode(tree, ArchiveOf(PayloadKey.Of(node)), node.Arch));
        }

        return errors;
    }

    /// <summary>The archive's mtime: SOURCE_DATE_EPOCH when set (reproducible-builds.org), else 1970-01-01.</summary>
    public static DateTimeOffset ArchiveTime(string? sourceDateEpoch) =>
        long.TryParse(sourceDateEpoch, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : DateTimeOffset.UnixEpoch;
}
