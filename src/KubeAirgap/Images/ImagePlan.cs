using KubeAirgap.Cluster;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Oci;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using KubeAirgap.Roles;

namespace KubeAirgap.Images;

/// <summary>
/// Which images a payload (arch + role set) carries: the images <see cref="ComponentCatalog.ImagesByRole"/> names
/// for its roles, at the versions the cluster's release pins (pins.yaml <c>images:</c>, by digest once locked),
/// plus cluster.yaml <c>images.extra</c> on nodes that run workloads (workers) or apply manifests naming them
/// (control-plane), with the images the user's own manifests (cluster.yaml <c>addons.extra</c>) name.
/// </summary>
public static class ImagePlan
{
    public static IReadOnlyList<ImageReference> For(PayloadKey key, ClusterSpec cluster, PinsFile pins)
    {
        var release = pins.ReleaseFor(cluster.KubernetesVersion)
            ?? throw new InvalidOperationException($"pins.yaml has no release for Kubernetes {cluster.KubernetesVersion}");
        var references = new List<ImageReference>();
        foreach (var name in ComponentCatalog.ImagesFor(key.Roles))
        {
            var version = release.Images.GetValueOrDefault(name)
                ?? throw new InvalidOperationException($"pins.yaml release {release.Kubernetes} names no version for image '{name}'");
            var pin = pins.FindImage(name, version)
                ?? throw new InvalidOperationException($"pins.yaml images: no entry for {name} {version}");
            references.Add(ImageReference.Parse(pin.PinnedRef));
        }

        if (key.Roles.Contains(NodeRole.Worker) || key.Roles.Contains(NodeRole.ControlPlane))
        {
            references.AddRange(cluster.Images.Extra.Select(ImageReference.Parse));
            references.AddRange(UserAddonFiles.Images(cluster).Select(u => ImageReference.Parse(u.Reference)));
        }

        return references.DistinctBy(r => r.ToString()).OrderBy(r => r.ToString(), StringComparer.Ordinal).ToList();
    }
}
