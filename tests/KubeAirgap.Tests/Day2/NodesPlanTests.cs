using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Day2;
using KubeAirgap.Diagnostics;
using KubeAirgap.Roles;
using KubeAirgap.TestSupport.Synthetic;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// Issue 16 items 1-2 on paper: the membership record (who founded etcd, who joins it, who was removed) and the
/// NodeChanges table naming which existing nodes need an update bundle and why.
/// </summary>
public sealed class NodesPlanTests
{
    private static readonly HashSet<NodeRole> All = [NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker];

    /// <summary>n01-n03 with every role, n04 a worker.</summary>
    private static ClusterSpec Base() => SyntheticInputs.Cluster("t", 4, "1.36.3");

    private static ClusterSpec With(ClusterSpec spec, string name, string ip, params NodeRole[] roles) =>
        spec with { Nodes = [.. spec.Nodes, new NodeSpec(name, ip, "amd64", roles.ToHashSet())] };

    private static ClusterSpec Without(ClusterSpec spec, string name) => spec with { Nodes = spec.Nodes.Where(n => n.Name != name).ToList() };

    /// <summary>The previous bundle set as bundle-manifest.json records it.</summary>
    private static BundleSetManifest Manifest(ClusterSpec spec, Membership members) =>
        new(1, spec.Name, spec.KubernetesVersion, new Dictionary<string, string>(), false, 0,
            spec.Nodes.Select(n => new BundleNode(n.Name, n.Ip, n.Arch, n.Roles.Order().Select(r => r.Name()).ToList(), "k", $"t-{n.Name}-amd64.tar.gz", "0", 0, [], null, "i", [])).ToList(),
            CaFingerprint: null, Members: members);

    private static (NodeChanges.Report Report, Membership Members) Step(ClusterSpec before, ClusterSpec after)
    {
        var first = Membership.Next(null, null, before);
        var previous = Manifest(before, first);
        var next = Membership.Next(first, previous.ToWorld(), after);
        return (NodeChanges.Of(previous.ToWorld(), NodeChanges.World.Of(after, next)), next);
    }

    public sealed class TheNextMethod
    {
        [Fact]
        public void Should_make_every_etcd_member_of_the_first_build_a_founder()
        {
            // When
            var members = Membership.Next(null, null, Base());

            // Then
            Assert.Empty(members.EtcdJoiners);
            Assert.Empty(members.Removed);
            Assert.Equal(["n01", "n02", "n03", "n04"], members.Current.Select(n => n.Name));
        }

        [Fact]
        public void Should_make_a_new_etcd_member_of_an_existing_cluster_join_and_keep_it_joining_on_every_rebuild()
        {
            // Given
            var first = Membership.Next(null, null, Base());
            var grown = With(Base(), "n05", "127.0.1.5", NodeRole.Etcd);

            // When: built once, then again (the manifest of the first add-node build is the previous one now)
            var added = Membership.Next(first, null, grown);
            var rebuilt = Membership.Next(added, Manifest(grown, added).ToWorld(), grown);

            // Then
            Assert.Equal(["n05"], added.EtcdJoiners);
            Assert.Equal(added, rebuilt, new MembershipComparer());
        }

        [Fact]
        public void Should_derive_the_founders_from_the_previous_manifest_when_state_has_no_record()
        {
            // Given: a cluster bundled before members.json existed
            var previous = Manifest(Base(), Membership.Empty);

            // When
            var members = Membership.Next(null, previous.ToWorld(), With(Base(), "n05", "127.0.1.5", All.ToArray()));

            // Then
            Assert.Equal(["n05"], members.EtcdJoiners);
        }

        [Fact]
        public void Should_keep_a_removed_node_on_record_across_rebuilds_and_let_it_join_again_when_added_back()
        {
            // Given
            var first = Membership.Next(null, null, Base());
            var shrunk = Without(Base(), "n03");

            // When
            var removed = Membership.Next(first, null, shrunk);
            var rebuilt = Membership.Next(removed, null, shrunk);
            var back = Membership.Next(rebuilt, null, Base());

            // Then
            Assert.Equal(["n03"], removed.Removed.Select(r => r.Name));
            Assert.Equal(["n03"], rebuilt.Removed.Select(r => r.Name));
            Assert.Empty(back.Removed);
            Assert.Equal(["n03"], back.EtcdJoiners);
        }

        [Fact]
        public void Should_refuse_two_new_etcd_members_in_one_build_naming_them_and_the_order()
        {
            // Given
            var first = Membership.Next(null, null, Base());
            var two = With(With(Base(), "n05", "127.0.1.5", NodeRole.Etcd), "n06", "127.0.1.6", NodeRole.Etcd);

            // When
            var e = Assert.Throws<InputException>(() => Membership.Next(first, null, two));

            // Then
            Assert.Contains("n05, n06 at once", e.Message, StringComparison.Ordinal);
            Assert.Contains("add n05, run Bundle and install its bundle, then add the next", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_refuse_a_node_that_loses_the_etcd_role_in_place()
        {
            // Given
            var first = Membership.Next(null, null, Base());
            var demoted = Base() with { Nodes = Base().Nodes.Select(n => n.Name == "n02" ? n with { Roles = new HashSet<NodeRole> { NodeRole.Worker } } : n).ToList() };

            // When
            var e = Assert.Throws<InputException>(() => Membership.Next(first, null, demoted));

            // Then
            Assert.Contains("nodes[1].roles", e.Message, StringComparison.Ordinal);
            Assert.Contains("n02 loses the etcd role", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void Should_let_every_new_etcd_member_of_a_first_build_found_the_cluster()
        {
            // When: no record and no previous manifest: nobody joins, whatever the count
            var members = Membership.Next(null, null, With(With(Base(), "n05", "127.0.1.5", NodeRole.Etcd), "n06", "127.0.1.6", NodeRole.Etcd));

            // Then
            Assert.Empty(members.EtcdJoiners);
        }
    }

    public sealed class TheOfMethod
    {
        [Fact]
        public void Should_name_no_existing_node_when_only_a_worker_is_added()
        {
            // When: the fourth worker leaves CoreDNS at 2 replicas (min(2, workers))
            var (report, _) = Step(Base(), With(Base(), "n05", "127.0.1.5", NodeRole.Worker));

            // Then
            Assert.Equal(["n05"], report.Added);
            Assert.Empty(report.Updates);
            Assert.Equal(["n01", "n02", "n03", "n04"], report.Unchanged);
        }

        [Fact]
        public void Should_name_every_node_with_its_reasons_when_an_etcd_and_control_plane_node_is_added()
        {
            // When
            var (report, members) = Step(Base(), With(Base(), "n05", "127.0.1.5", All.ToArray()));

            // Then: the control-plane nodes for kube-nginx, SANs, --etcd-servers and etcd's member list; the worker for kube-nginx only
            Assert.Equal(["n05"], members.EtcdJoiners);
            Assert.Equal(["n01", "n02", "n03", "n04"], report.Updates.Select(u => u.Node));
            var n01 = report.Updates[0].Reasons;
            Assert.Equal(4, n01.Count);
            Assert.All(n01, r => Assert.EndsWith(": +n05 (127.0.1.5)", r, StringComparison.Ordinal));
            Assert.Contains(n01, r => r.StartsWith("kube-nginx upstreams", StringComparison.Ordinal));
            Assert.Contains(n01, r => r.StartsWith("apiserver certificate SANs", StringComparison.Ordinal));
            Assert.Contains(n01, r => r.StartsWith("kube-apiserver --etcd-servers", StringComparison.Ordinal));
            Assert.Contains(n01, r => r.StartsWith("etcd member list", StringComparison.Ordinal));
            var worker = Assert.Single(report.Updates[3].Reasons);
            Assert.StartsWith("kube-nginx upstreams", worker, StringComparison.Ordinal);
            Assert.Empty(report.Unchanged);
        }

        [Fact]
        public void Should_leave_the_worker_out_when_an_etcd_only_member_is_added()
        {
            // When
            var (report, _) = Step(Base(), With(Base(), "n05", "127.0.1.5", NodeRole.Etcd));

            // Then
            Assert.Equal(["n01", "n02", "n03"], report.Updates.Select(u => u.Node));
            Assert.All(report.Updates, u => Assert.Equal(2, u.Reasons.Count));
            Assert.Equal(["n04"], report.Unchanged);
        }

        [Fact]
        public void Should_give_the_removal_to_the_first_control_plane_node_alone_when_a_worker_is_removed()
        {
            // When
            var (report, members) = Step(Base(), Without(Base(), "n04"));

            // Then: n01 drains and deletes n04; nobody else lists workers except CoreDNS's replica count (3 workers left: 2)
            Assert.Equal(["n04"], report.Removed);
            var update = Assert.Single(report.Updates);
            Assert.Equal("n01", update.Node);
            Assert.StartsWith("removal of nodes gone from cluster.yaml", Assert.Single(update.Reasons), StringComparison.Ordinal);
            Assert.EndsWith("+n04", update.Reasons[0], StringComparison.Ordinal);
            Assert.Equal(["n02", "n03"], report.Unchanged);
            Assert.Equal(["n04"], members.Removed.Select(r => r.Name));
        }

        [Fact]
        public void Should_move_the_removal_to_the_next_control_plane_node_when_the_first_one_is_removed()
        {
            // When
            var (report, _) = Step(Base(), Without(Base(), "n01"));

            // Then
            var n02 = report.Updates.Single(u => u.Node == "n02").Reasons;
            Assert.Contains(n02, r => r.StartsWith("removal of nodes", StringComparison.Ordinal) && r.EndsWith("+n01", StringComparison.Ordinal));
            Assert.Contains(n02, r => r.StartsWith("etcd member list", StringComparison.Ordinal) && r.EndsWith("-n01 (127.0.1.1)", StringComparison.Ordinal));
            Assert.DoesNotContain(report.Updates.Single(u => u.Node == "n03").Reasons, r => r.StartsWith("removal", StringComparison.Ordinal));
            Assert.Contains("n04", report.Updates.Select(u => u.Node));
        }

        [Fact]
        public void Should_print_new_removed_updated_and_unchanged_nodes()
        {
            // Given
            var (report, _) = Step(Base(), With(Without(Base(), "n04"), "n05", "127.0.1.5", NodeRole.Worker));

            // When
            var lines = report.Lines().ToList();

            // Then
            Assert.Contains("  new node n05: install its bundle", lines);
            Assert.Contains(lines, l => l.StartsWith("  removed node n04: drained", StringComparison.Ordinal));
            Assert.Contains("  update n01:", lines);
            Assert.Contains("  unchanged (no update bundle, tarball kept): n02, n03", lines);
        }
    }

    private sealed class MembershipComparer : IEqualityComparer<Membership>
    {
        public bool Equals(Membership? x, Membership? y) =>
            x is not null && y is not null && x.Nodes.Count == y.Nodes.Count &&
            x.Nodes.Zip(y.Nodes).All(p => p.First.Name == p.Second.Name && p.First.Ip == p.Second.Ip && p.First.Joined == p.Second.Joined &&
                p.First.Removed == p.Second.Removed && p.First.Roles.SequenceEqual(p.Second.Roles));

        public int GetHashCode(Membership obj) => obj.Nodes.Count;
    }
}
