using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Layout;

/// <summary>
/// Nodes with the same arch and roles carry the same binaries and images: that shared payload is staged once
/// under <c>artifacts/&lt;cluster&gt;/payload/&lt;key&gt;/</c> (bin/, images/) and compressed once into the bundles.
/// </summary>
public sealed record PayloadKey(string Arch, IReadOnlyList<NodeRole> Roles)
{
    public static PayloadKey Of(NodeSpec node) => new(node.Arch, node.Roles.Order().ToList());

    /// <summary>e.g. <c>amd64-etcd+control-plane+worker</c>.</summary>
    public string Name => $"{Arch}-{string.Join("+", Roles.Select(r => r.Name()))}";

    public bool Equals(PayloadKey? other) => other is not null && Name == other.Name;

    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Name;

    public static IReadOnlyList<PayloadKey> AllOf(ClusterSpec spec) =>
        spec.Nodes.Select(Of).Distinct().OrderBy(k => k.Name, StringComparer.Ordinal).ToList();
}
