using System.Text.Json;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Diagnostics;
using KubeAirgap.Roles;

namespace KubeAirgap.Day2;

/// <summary>One node as the cluster has known it: <c>Joined</c> when it became an etcd member of a cluster that
/// existed already (it starts with <c>--initial-cluster-state=existing</c> after <c>etcdctl member add</c>);
/// <c>Removed</c> once cluster.yaml dropped it (the first control-plane node's bundle drains and deletes its Node
/// and removes its etcd member, which is safe to repeat).</summary>
public sealed record MemberRecord(string Name, string Ip, IReadOnlyList<string> Roles, bool Joined, bool Removed)
{
    public bool IsEtcd => Roles.Contains(NodeRole.Etcd.Name(), StringComparer.Ordinal);

    public string PeerUrl => $"https://{ClusterTopology.HostPort(Ip, ClusterTopology.EtcdPeerPort)}";
}

/// <summary>
/// state/&lt;cluster&gt;/members.json: which etcd members founded the cluster, which joined it later, and which nodes
/// were removed. Kept in state/ (never cleaned), so that a rebuilt bundle of a member that has not joined yet still
/// joins, and the removal of a node is still carried out by a bundle built after the one that dropped it.
/// Render writes it; Plan and Bundle compute the same value with <see cref="Next"/>, which is idempotent.
/// </summary>
public sealed record Membership(int SchemaVersion, IReadOnlyList<MemberRecord> Nodes)
{
    public const string FileName = "members.json";

    public static readonly Membership Empty = new(1, []);

    public IEnumerable<MemberRecord> Current => Nodes.Where(n => !n.Removed);

    public IEnumerable<MemberRecord> Removed => Nodes.Where(n => n.Removed);

    /// <summary>etcd members that join a running cluster (their unit says <c>existing</c>).</summary>
    public IReadOnlyList<string> EtcdJoiners => Current.Where(n => n.IsEtcd && n.Joined).Select(n => n.Name).ToList();

    public bool Joins(string node) => Current.Any(n => n.Name == node && n.IsEtcd && n.Joined);

    public static string PathIn(string stateDir) => Path.Combine(stateDir, FileName);

    /// <summary>The record in <paramref name="stateDir"/>, or null when there is none yet.</summary>
    public static Membership? Load(string stateDir)
    {
        var path = PathIn(stateDir);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonFile.Read<Membership>(path);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a kube-airgap membership record ({e.Message}); restore it from the backup of state/", e);
        }
    }

    public void Save(string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        AtomicFile.WriteIfChanged(PathIn(stateDir), JsonFile.Serialize(this), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// The membership after this build: <paramref name="record"/> (else the nodes of the previous bundle set,
    /// <paramref name="previous"/> as its bundle-manifest.json lists them, all founding; else nothing) brought to <paramref name="spec"/>. A new etcd node of a cluster that has etcd members
    /// joins; a node gone from cluster.yaml is removed. etcd members are added one at a time (etcd's runtime
    /// reconfiguration guide): two new etcd members in one build, or a node that keeps its name but loses or regains
    /// the etcd role, are refused with the steps to take instead.
    /// </summary>
    public static Membership Next(Membership? record, NodeChanges.World? previous, ClusterSpec spec)
    {
        var baseline = record
            ?? (previous is null ? Empty : new Membership(1, previous.Nodes.Select(n => new MemberRecord(n.Name, n.Ip, n.Roles, false, false)).ToList()));
        var known = baseline.Current.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var hasEtcd = baseline.Current.Any(n => n.IsEtcd);
        var nodes = new List<MemberRecord>();
        var joining = new List<string>();
        foreach (var (node, i) in spec.Nodes.Select((n, i) => (n, i)))
        {
            var roles = node.Roles.Order().Select(r => r.Name()).ToList();
            var etcd = node.Has(NodeRole.Etcd);
            if (known.TryGetValue(node.Name, out var old))
            {
                if (old.IsEtcd != etcd)
                {
                    throw Refused(spec, $"nodes[{i}].roles",
                        $"node {node.Name} {(etcd ? "gains" : "loses")} the etcd role; an etcd member is added or removed with its node: " +
                        $"remove {node.Name} from cluster.yaml, run Bundle and install the updated bundles, then add it back with its new roles");
                }

                nodes.Add(old with { Ip = node.Ip, Roles = roles });
                continue;
            }

            var joins = etcd && hasEtcd;
            if (joins)
            {
                joining.Add(node.Name);
            }

            nodes.Add(new MemberRecord(node.Name, node.Ip, roles, joins, false));
        }

        if (joining.Count > 1)
        {
            throw Refused(spec, "nodes",
                $"cluster.yaml adds the etcd members {string.Join(", ", joining)} at once; etcd members join one at a time " +
                $"(each one changes the quorum): add {joining[0]}, run Bundle and install its bundle, then add the next. A cluster that was never installed " +
                $"is bundled as new once state/{spec.Name}/{FileName} and the last bundle-manifest.json are deleted");
        }

        var current = nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var removed = baseline.Nodes
            .Where(n => !current.Contains(n.Name))
            .Select(n => n with { Removed = true, Joined = false })
            .DistinctBy(n => n.Name);
        return new Membership(1, [.. nodes, .. removed.OrderBy(n => n.Name, StringComparer.Ordinal)]);
    }

    private static InputException Refused(ClusterSpec spec, string path, string message) =>
        new("the change of cluster members", [spec.At(path).Error(message)]);
}
