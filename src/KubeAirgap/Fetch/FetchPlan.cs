using KubeAirgap.Diagnostics;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Content;
using KubeAirgap.Roles;

namespace KubeAirgap.Fetch;

/// <summary>One pinned artifact to fetch: a component at a version, for one arch (or <c>noarch</c>).</summary>
public sealed record FetchItem(Component Component, string Arch, Artifact Artifact)
{
    /// <summary>e.g. <c>etcd 3.6.14 (amd64)</c>.</summary>
    public string Name => $"{Component.Name} {Component.Version} ({Arch})";

    public Digest Digest => Artifact.Sha256 is { } sha256 ? Content.Digest.Sha256(sha256) : Content.Digest.Sha512(Artifact.Sha512!);

    public bool IsSource => Component.Layout.Type == "source";
}

/// <summary>What a cluster needs: the unique artifacts, and which of them each payload (arch + roles) stages.</summary>
public sealed record FetchPlan(IReadOnlyList<FetchItem> Artifacts, IReadOnlyDictionary<PayloadKey, IReadOnlyList<FetchItem>> ByPayload)
{
    /// <summary>
    /// Resolves every component <see cref="ComponentCatalog.ComponentsFor"/> the payloads need, at the versions of the
    /// release for <paramref name="kubernetesVersion"/>. Every problem (no release, component not pinned, no artifact for
    /// an arch, no checksum yet) is reported at once.
    /// </summary>
    /// <param name="offline">The build may not use the network: a missing checksum cannot be filled by Lock or Fetch then.</param>
    public static FetchPlan For(PinsFile pins, string kubernetesVersion, IEnumerable<PayloadKey> payloads, string pinsFile = "pins.yaml", bool offline = false)
    {
        var problems = new List<string>();
        var release = pins.ReleaseFor(kubernetesVersion);
        if (release is null)
        {
            throw new InputException($"{pinsFile}: no release entry for Kubernetes {kubernetesVersion} (have: {string.Join(", ", pins.Releases.Select(r => r.Kubernetes))})");
        }

        var unique = new Dictionary<(string, string, string), FetchItem>();
        var byPayload = new Dictionary<PayloadKey, IReadOnlyList<FetchItem>>();
        foreach (var payload in payloads)
        {
            var items = new List<FetchItem>();
            foreach (var name in ComponentCatalog.ComponentsFor(payload.Roles))
            {
                var version = release.VersionOf(name);
                if (version is null)
                {
                    problems.Add($"release {release.Kubernetes} names no version of {name}");
                    continue;
                }

                var component = pins.Find(name, version);
                if (component is null)
                {
                    problems.Add($"{name} {version} is not pinned (components: no entry with that name and version)");
                    continue;
                }

                var artifact = component.For(payload.Arch);
                if (artifact is null)
                {
                    problems.Add($"{name} {version} has no artifact for {payload.Arch}");
                    continue;
                }

                var arch = component.Artifacts.ContainsKey(payload.Arch) ? payload.Arch : PinsFile.NoArch;
                if (!artifact.HasChecksum)
                {
                    problems.Add(offline
                        ? $"{name} {version} ({arch}) has no checksum (sha256: null), and --offline cannot look one up: write the sha256 from a source you trust into {pinsFile}"
                        : $"{name} {version} ({arch}) has no checksum (sha256: null) and upstream publishes none that Fetch found: write it into {pinsFile} from a source you trust, or `./build.sh --target=Lock --lock_download=true` to compute it (trust on first use)");
                    continue;
                }

                var key = (name, version, arch);
                if (!unique.TryGetValue(key, out var item))
                {
                    item = new FetchItem(component, arch, artifact);
                    unique[key] = item;
                }

                items.Add(item);
            }

            byPayload[payload] = items;
        }

        if (problems.Count > 0)
        {
            throw new InputException($"{pinsFile}: cannot fetch for Kubernetes {kubernetesVersion}:" + Environment.NewLine
                + string.Join(Environment.NewLine, problems.Distinct().Select(p => "  " + p)));
        }

        return new FetchPlan([.. unique.Values], byPayload);
    }

    /// <summary>The (component, version, arch) entries the payloads need that have no checksum yet.</summary>
    public static IReadOnlySet<(string Name, string Version, string Arch)> Unlocked(PinsFile pins, string kubernetesVersion, IEnumerable<PayloadKey> payloads)
    {
        var result = new HashSet<(string, string, string)>();
        if (pins.ReleaseFor(kubernetesVersion) is not { } release)
        {
            return result;
        }

        foreach (var payload in payloads)
        {
            foreach (var name in ComponentCatalog.ComponentsFor(payload.Roles))
            {
                if (release.VersionOf(name) is { } version && pins.Find(name, version) is { } component && component.For(payload.Arch) is { HasChecksum: false })
                {
                    result.Add((name, component.Version, component.Artifacts.ContainsKey(payload.Arch) ? payload.Arch : PinsFile.NoArch));
                }
            }
        }

        return result;
    }
}
