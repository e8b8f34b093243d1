using KubeAirgap.Cluster;
using KubeAirgap.Roles;

namespace KubeAirgap.Day2;

/// <summary>
/// Which existing nodes must take an update bundle when nodes are added to or removed from cluster.yaml, and why.
/// Each row of <see cref="Table"/> is one thing a node's bundle lists about other nodes (kube-nginx's upstreams,
/// etcd's member list, the apiserver's --etcd-servers, the apiserver certificate's SANs, ...); a node needs an update
/// when what a row lists for it differs between the previous bundle set and this one. Nothing else about other nodes
/// is in a node's bundle, so a node no row names keeps its tarball byte for byte (BundleTests prove both directions).
/// </summary>
public static class NodeChanges
{
    public sealed record Peer(string Name, string Ip, IReadOnlyList<string> Roles)
    {
        public bool Has(NodeRole role) => Roles.Contains(role.Name(), StringComparer.Ordinal);

        public override string ToString() => $"{Name} ({Ip})";
    }

    /// <summary>The cluster as one bundle set sees it: its nodes in cluster.yaml's order, and the removed nodes it still carries.</summary>
    public sealed record World(IReadOnlyList<Peer> Nodes, IReadOnlyList<string> Removed)
    {
        public IEnumerable<Peer> With(NodeRole role) => Nodes.Where(n => n.Has(role));

        public Peer? FirstControlPlane => With(NodeRole.ControlPlane).FirstOrDefault();

        public static World Of(ClusterSpec spec, Membership membership) =>
            new(spec.Nodes.Select(n => new Peer(n.Name, n.Ip, n.Roles.Order().Select(r => r.Name()).ToList())).ToList(),
                membership.Removed.Select(r => r.Name).ToList());
    }

    /// <summary>One thing a node's bundle lists about the others: null when <paramref name="Node"/> does not hold it.</summary>
    public sealed record Dependency(string What, Func<World, Peer, IReadOnlyList<string>?> Lists);

    public static readonly IReadOnlyList<Dependency> Table =
    [
        new("kube-nginx upstreams (etc/kube-nginx/kube-nginx.conf): every apiserver", (w, _) => Names(w.With(NodeRole.ControlPlane))),
        new("apiserver certificate SANs (pki/apiserver.crt): every control-plane node's name and IP",
            (w, n) => n.Has(NodeRole.ControlPlane) ? Names(w.With(NodeRole.ControlPlane)) : null),
        new("kube-apiserver --etcd-servers: every etcd member", (w, n) => n.Has(NodeRole.ControlPlane) ? Names(w.With(NodeRole.Etcd)) : null),
        new("etcd member list (etcd.service --initial-cluster, layout.env KA_ETCD_PEERS)", (w, n) => n.Has(NodeRole.Etcd) ? Names(w.With(NodeRole.Etcd)) : null),
        new("CoreDNS replicas (addons/coredns.yaml): min(2, workers)",
            (w, n) => n.Has(NodeRole.ControlPlane) ? [$"{Math.Min(2, Math.Max(1, w.With(NodeRole.Worker).Count()))} replica(s)"] : null),
        new("removal of nodes gone from cluster.yaml (layout.env KA_REMOVED_NODES: drain, delete the Node, etcdctl member remove), on the first control-plane node",
            (w, n) => w.FirstControlPlane?.Name == n.Name ? w.Removed : null),
    ];

    /// <summary>An existing node that must take an update bundle, with one reason per <see cref="Table"/> row that changed for it.</summary>
    public sealed record Update(string Node, IReadOnlyList<string> Reasons);

    public sealed record Report(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<Update> Updates, IReadOnlyList<string> Unchanged)
    {
        public bool Names(string node) => Added.Contains(node, StringComparer.Ordinal) || Updates.Any(u => u.Node == node);

        /// <summary>The report as lines (what Plan and Bundle print).</summary>
        public IEnumerable<string> Lines()
        {
            foreach (var node in Added)
            {
                yield return $"  new node {node}: install its bundle";
            }

            foreach (var node in Removed)
            {
                yield return $"  removed node {node}: drained, deleted and taken out of etcd by the first control-plane node's update bundle; then run /opt/kube-airgap/uninstall.sh on it";
            }

            foreach (var update in Updates)
            {
                yield return $"  update {update.Node}:";
                foreach (var reason in update.Reasons)
                {
                    yield return $"    {reason}";
                }
            }

            if (Unchanged.Count > 0)
            {
                yield return $"  unchanged (no update bundle, tarball kept): {string.Join(", ", Unchanged)}";
            }
        }
    }

    /// <summary>The nodes of <paramref name="after"/> against <paramref name="before"/> (null: the first build, every node is new).</summary>
    public static Report Of(World? before, World after)
    {
        if (before is null)
        {
            return new Report(after.Nodes.Select(n => n.Name).ToList(), [], [], []);
        }

        var old = before.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var added = new List<string>();
        var updates = new List<Update>();
        var unchanged = new List<string>();
        foreach (var node in after.Nodes)
        {
            if (!old.TryGetValue(node.Name, out var was))
            {
                added.Add(node.Name);
                continue;
            }

            var reasons = Table
                .Select(d => (d.What, Before: d.Lists(before, was) ?? [], After: d.Lists(after, node) ?? []))
                .Where(d => !d.Before.SequenceEqual(d.After, StringComparer.Ordinal))
                .Select(d => $"{d.What}: {Delta(d.Before, d.After)}")
                .ToList();
            if (reasons.Count > 0)
            {
                updates.Add(new Update(node.Name, reasons));
            }
            else
            {
                unchanged.Add(node.Name);
            }
        }

        var removed = before.Nodes.Select(n => n.Name).Where(n => after.Nodes.All(a => a.Name != n)).ToList();
        return new Report(added, removed, updates, unchanged);
    }

    private static List<string> Names(IEnumerable<Peer> peers) => peers.Select(p => p.ToString()).ToList();

    private static string Delta(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var plus = after.Except(before, StringComparer.Ordinal).ToList();
        var minus = before.Except(after, StringComparer.Ordinal).ToList();
        return plus.Count == 0 && minus.Count == 0
            ? $"order [{string.Join(", ", after)}]"
            : string.Join(" ", plus.Select(p => "+" + p).Concat(minus.Select(m => "-" + m)));
    }
}
