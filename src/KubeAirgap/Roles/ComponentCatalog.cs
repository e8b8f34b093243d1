namespace KubeAirgap.Roles;

/// <summary>
/// Which upstream components and images each node role needs (data, walked by Validate, Fetch and Bundle); the
/// versions come from pins.yaml's release.
/// </summary>
public static class ComponentCatalog
{
    /// <summary>Components every node carries, whatever its roles: kube-nginx is built from the nginx source.</summary>
    public static readonly IReadOnlyList<string> EveryNode = ["nginx", "kubectl"];

    public static readonly IReadOnlyDictionary<NodeRole, IReadOnlyList<string>> ByRole = new Dictionary<NodeRole, IReadOnlyList<string>>
    {
        [NodeRole.Etcd] = ["etcd"],
        [NodeRole.ControlPlane] = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "calico-manifest"],
        [NodeRole.Worker] = ["kubelet", "kube-proxy", "containerd", "runc", "cni-plugins", "crictl"],
    };

    /// <summary>
    /// Images by role. Workers run every add-on pod (the sandbox image, Calico's DaemonSet and Deployment, CoreDNS).
    /// Control-plane nodes render the add-on manifests, so they carry the images those manifests name: the
    /// completeness check holds every node to the images its own files name, whatever other roles exist.
    /// </summary>
    public static readonly IReadOnlyDictionary<NodeRole, IReadOnlyList<string>> ImagesByRole = new Dictionary<NodeRole, IReadOnlyList<string>>
    {
        [NodeRole.Etcd] = [],
        [NodeRole.ControlPlane] = ["calico-node", "calico-cni", "calico-kube-controllers", "coredns"],
        [NodeRole.Worker] = ["pause", "calico-node", "calico-cni", "calico-kube-controllers", "coredns"],
    };

    public static IReadOnlyList<string> ComponentsFor(IEnumerable<NodeRole> roles) =>
        EveryNode.Concat(roles.SelectMany(r => ByRole[r])).Distinct(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<string> ImagesFor(IEnumerable<NodeRole> roles) =>
        roles.SelectMany(r => ImagesByRole[r]).Distinct(StringComparer.Ordinal).ToList();
}
