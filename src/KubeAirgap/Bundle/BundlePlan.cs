using System.Globalization;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle;

/// <summary>
/// What Bundle would produce, without downloading or writing anything: per node its files (with size and
/// sha256 where the inputs are staged already, else the paths pins.yaml's layouts promise), its images, and the
/// upstream URLs and digests behind them; and the difference against a previous bundle-manifest.json. In the fleet
/// layout each node's plan names the payload tarball its bundle pins, and the payload tarballs are planned once each.
/// </summary>
public static class BundlePlan
{
    public sealed record PlannedFile(string Path, long? Size, string? Sha256, string Origin);

    public sealed record Upstream(string Name, string Version, string Location, string? Digest);

    /// <param name="Payload">The fleet layout's payload tarball this node's bundle pins; null in the self-contained layout.</param>
    public sealed record NodePlan(string Node, string Arch, IReadOnlyList<string> Roles, string Bundle, IReadOnlyList<PlannedFile> Files, IReadOnlyList<Upstream> Upstreams, IReadOnlyList<Upstream> Images, string? Payload = null);

    public sealed record Difference(string Node, string Change, string Path);

    public static IReadOnlyList<NodePlan> Make(ClusterSpec spec, PinsFile pins, Func<string, string> payloadDir, Func<string, string> nodeTreeDir, BundleLayout layout = BundleLayout.SelfContained)
    {
        var release = pins.ReleaseFor(spec.KubernetesVersion)
            ?? throw new InvalidDataException($"pins.yaml has no release for Kubernetes {spec.KubernetesVersion}");
        var payloads = new Dictionary<string, IReadOnlyList<PlannedFile>>(StringComparer.Ordinal);
        var plans = new List<NodePlan>();
        foreach (var node in spec.Nodes)
        {
            var key = PayloadKey.Of(node);
            var components = ComponentCatalog.ComponentsFor(node.Roles)
                .Select(c => (Name: c, Version: release.VersionOf(c)))
                .Select(c => (c.Name, c.Version, Pin: c.Version is null ? null : pins.Find(c.Name, c.Version)))
                .ToList();
            if (!payloads.TryGetValue(key.Name, out var shared))
            {
                var dir = payloadDir(key.Name);
                shared = Directory.Exists(Path.Combine(dir, "bin"))
                    ? BundleEntry.Tree(dir, "bin", true).Concat(BundleEntry.Tree(dir, "images", true)).Select(e => new PlannedFile(e.Path, e.Size, e.Sha256, "payload")).ToList()
                    : components.SelectMany(c => c.Pin?.Layout.Files.Where(f => f.Path.StartsWith("bin/", StringComparison.Ordinal)).Select(f => new PlannedFile(f.Path, null, null, $"pins:{c.Name}")) ?? [])
                        .Append(new PlannedFile("bin/kube-nginx", null, null, "nginx (built from source)"))
                        .Append(new PlannedFile("images/images.oci.tar", null, null, "images"))
                        .DistinctBy(f => f.Path)
                        .ToList();
                payloads[key.Name] = shared;
            }

            var tree = nodeTreeDir(node.Name);
            var own = Directory.Exists(tree)
                ? BundleBuilder.NodeTreeDirs.SelectMany(d => BundleEntry.Tree(tree, d, false)).Select(e => new PlannedFile(e.Path, e.Size, e.Sha256, "render")).ToList()
                : [new PlannedFile("etc/ pki/ addons/ var/", null, null, "render (not run yet)")];
            var files = shared.Concat(own).OrderBy(f => f.Path, StringComparer.Ordinal).ToList();

            var upstreams = components
                .Where(c => c.Pin is not null)
                .Select(c => (c.Name, c.Pin!.Version, Artifact: c.Pin.For(node.Arch)))
                .Where(c => c.Artifact is not null)
                .Select(c => new Upstream(c.Name, c.Version, c.Artifact!.Url, c.Artifact.Sha256 is { } s ? "sha256:" + s : c.Artifact.Sha512 is { } s5 ? "sha512:" + s5 : null))
                .OrderBy(u => u.Name, StringComparer.Ordinal)
                .ToList();
            var images = ComponentCatalog.ImagesFor(node.Roles)
                .Select(i => release.Images.TryGetValue(i, out var tag) ? pins.FindImage(i, tag) : null)
                .OfType<ImagePin>()
                .Select(i => new Upstream(i.Name, i.Version, i.Ref, i.Digest))
                .Concat(spec.Images.Extra.Concat(UserAddonFiles.Images(spec).Select(u => u.Reference)).Distinct(StringComparer.Ordinal)
                    .Select(e => new Upstream(e, string.Empty, e, e.Contains('@', StringComparison.Ordinal) ? e[(e.IndexOf('@', StringComparison.Ordinal) + 1)..] : null)))
                .OrderBy(i => i.Name, StringComparer.Ordinal)
                .ToList();
            var payload = layout == BundleLayout.Fleet ? BundleRequest.PayloadTarballName(spec, key) : null;
            plans.Add(new NodePlan(node.Name, node.Arch, node.Roles.Order().Select(r => r.Name()).ToList(), BundleRequest.TarballName(spec, node), files, upstreams, images, payload));
        }

        return plans;
    }

    /// <summary>Added, removed and changed files (by sha256) against a previous bundle-manifest.json; generated files are left out.</summary>
    public static IReadOnlyList<Difference> Diff(IReadOnlyList<NodePlan> plan, BundleSetManifest previous)
    {
        var result = new List<Difference>();
        var before = previous.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        foreach (var node in plan)
        {
            if (!before.TryGetValue(node.Node, out var old))
            {
                result.Add(new Difference(node.Node, "added", node.Bundle));
                continue;
            }

            var oldFiles = old.Files.Where(f => f.NodePath is not null).ToDictionary(f => f.Path, StringComparer.Ordinal);
            var newFiles = node.Files.Where(f => f.Sha256 is not null).ToDictionary(f => f.Path, StringComparer.Ordinal);
            if (newFiles.Count == 0)
            {
                continue;
            }

            foreach (var f in newFiles.Values.Where(f => !oldFiles.ContainsKey(f.Path)))
            {
                result.Add(new Difference(node.Node, "added", f.Path));
            }

            foreach (var f in oldFiles.Values.Where(f => !newFiles.ContainsKey(f.Path)))
            {
                result.Add(new Difference(node.Node, "removed", f.Path));
            }

            foreach (var f in newFiles.Values.Where(f => oldFiles.TryGetValue(f.Path, out var o) && o.Sha256 != f.Sha256))
            {
                result.Add(new Difference(node.Node, "changed", f.Path));
            }
        }

        foreach (var gone in previous.Nodes.Where(n => plan.All(p => p.Node != n.Name)))
        {
            result.Add(new Difference(gone.Name, "removed", gone.Bundle));
        }

        return result.OrderBy(d => d.Node, StringComparer.Ordinal).ThenBy(d => d.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>The plan as text lines (what the Plan task prints).</summary>
    public static IEnumerable<string> Render(IReadOnlyList<NodePlan> plan, IReadOnlyList<Difference>? diff)
    {
        foreach (var payload in plan.Where(n => n.Payload is not null).GroupBy(n => n.Payload!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var shared = payload.First().Files.Where(IsPayload).ToList();
            var known = shared.Where(f => f.Size is not null).Sum(f => f.Size!.Value);
            yield return $"{payload.Key}: payload of {payload.Count()} node(s) ({string.Join(", ", payload.Select(n => n.Node))}), {shared.Count} file(s), {Size(known)} known (fleet layout: carried once)";
            foreach (var f in shared)
            {
                yield return FileLine(f);
            }
        }

        foreach (var node in plan)
        {
            var files = node.Payload is null ? node.Files : node.Files.Where(f => !IsPayload(f)).ToList();
            var known = files.Where(f => f.Size is not null).Sum(f => f.Size!.Value);
            yield return $"{node.Bundle}: {node.Node} ({string.Join(",", node.Roles)}, {node.Arch}), {files.Count} file(s), {Size(known)} known"
                + (node.Payload is null ? string.Empty : $", pins {node.Payload}");
            foreach (var f in files)
            {
                yield return FileLine(f);
            }

            foreach (var u in node.Upstreams)
            {
                yield return $"  upstream {u.Name} {u.Version}: {u.Location} {u.Digest ?? "(no checksum pinned yet)"}";
            }

            foreach (var i in node.Images)
            {
                yield return $"  image {i.Name} {i.Version}: {i.Location}{(i.Digest is null ? " (digest not locked yet)" : "@" + i.Digest)}";
            }
        }

        if (diff is null)
        {
            yield return "no previous bundle-manifest.json: everything is new";
            yield break;
        }

        yield return diff.Count == 0 ? "no difference against the previous bundle" : $"{diff.Count} difference(s) against the previous bundle:";
        foreach (var d in diff)
        {
            yield return $"  {d.Change,-8} {d.Node}: {d.Path}";
        }
    }

    private static string FileLine(PlannedFile f) =>
        $"  {f.Path,-52} {(f.Size is { } s ? Size(s) : "?"),10}  {(f.Sha256 is { } h ? h[..12] : "-"),-12}  {f.Origin}";

    /// <summary>bin/ and images/: the shared payload's files (what the fleet layout's payload tarball carries).</summary>
    private static bool IsPayload(PlannedFile f) =>
        f.Path.StartsWith("bin/", StringComparison.Ordinal) || f.Path.StartsWith("images/", StringComparison.Ordinal);

    public static string Size(long bytes) => bytes switch
    {
        >= 1 << 30 => (bytes / (double)(1 << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1 << 20 => (bytes / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1 << 10 => (bytes / (double)(1 << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
