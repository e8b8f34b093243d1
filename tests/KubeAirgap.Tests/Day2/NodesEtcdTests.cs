using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Day2;
using KubeAirgap.Render;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Render.Fixtures;
using KubeAirgap.Tests.Render;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Day2;

/// <summary>
/// README "Day 2", "Add a node" and "Remove a node", with real etcd on loopback: three members over mutual TLS; a fourth,
/// rendered as the joining member (<c>--initial-cluster-state=existing</c>) with the lib/layout.env Bundle gives it, is
/// added by the installer's own members_etcd_join and started from its unit; then the first node's
/// members_remove_departed (with a kubectl stand-in that records the drain and delete) takes it out again.
/// </summary>
public sealed class NodesEtcdTests
{
    private static readonly HashSet<NodeRole> All = [NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker];

    [Fact]
    public void Should_join_a_fourth_member_with_state_existing_and_remove_it_again_each_step_safe_to_repeat()
    {
        // Given: three running members, and node-4 rendered and issued certificates as the joining member of the grown inventory
        using var temp = new TempDirectory("kag-nodes");
        using var etcd = new EtcdMembers(temp);
        var ip4 = etcd.Ips[0][..etcd.Ips[0].LastIndexOf('.')] + ".4";
        Assert.All(new[] { 2379, 2380, 2381 }, port => Assert.False(Ports.IsOpen(ip4, port), $"{ip4}:{port} is taken"));
        var three = etcd.Spec;
        var four = three with { Nodes = [.. three.Nodes, new NodeSpec("node-4", ip4, "amd64", All)] };
        var founded = Membership.Next(null, null, three);
        var grown = Membership.Next(founded, null, four);
        var root4 = temp.Combine("node-4");
        var node4 = four.Nodes[3];
        TreeWriter.Write(root4, RenderFixture.Render(four, RenderFixture.DebianPins, node4, RenderFixture.Options(root4, localAddress: ip4) with { EtcdJoiners = grown.EtcdJoiners }));
        Issue(etcd, root4, node4);
        Assert.Contains("--initial-cluster-state=existing", EtcdMembers.Unit(root4), StringComparison.Ordinal);
        etcd.Start();
        var first = $"https://{etcd.Ips[0]}:2379";
        var env4 = Layout(temp, four, node4, grown);

        // When: the installer's join runs twice before etcd starts (an interrupted install run again)
        var added = Members(env4, root4, "members_etcd_join").EnsureSuccess("members_etcd_join");
        var again = Members(env4, root4, "members_etcd_join").EnsureSuccess("members_etcd_join again");

        // Then: one member add, the second run finds it added
        Assert.Contains($"add member node-4 (https://{ip4}:2380)", added.Stdout, StringComparison.Ordinal);
        Assert.Contains("is a member already", again.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("add member", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(4, MemberLines(etcd, first).Count);

        // When: node-4 starts from its unit (--initial-cluster-state=existing)
        var argv = EtcdClusterTests.ExecStart(EtcdMembers.Unit(root4));
        using var member4 = new BackgroundProcess(argv[0], argv.Skip(1));
        member4.WaitUntil(() => MemberLines(etcd, first).Count(l => l.Contains(", started, ", StringComparison.Ordinal)) == 4, TimeSpan.FromSeconds(40), "four started members");

        // Then: four members, node-4 serves the cluster's data, and the join step now has nothing to do
        etcd.Etcdctl(first, "put", "joined", "yes").EnsureSuccess("put");
        Assert.Equal("yes", etcd.Etcdctl($"https://{ip4}:2379", "get", "joined", "--print-value-only").EnsureSuccess("get on node-4").Stdout.Trim());
        Assert.Contains("has joined already", Members(env4, root4, "members_etcd_join").EnsureSuccess("join after start").Stdout, StringComparison.Ordinal);
        Assert.Equal(4, MemberLines(etcd, first).Count);

        // When: node-4 leaves cluster.yaml; the first control-plane node's bundle carries the removal
        var shrunk = Membership.Next(grown, null, three);
        var root1 = etcd.Roots[0];
        var env1 = Layout(temp, three, three.Nodes[0], shrunk);
        var calls = temp.Combine("kubectl.calls");
        StubKubectl(root1, calls, temp.Combine("node-4.deleted"));
        var removed = Members(env1, root1, "members_remove_departed").EnsureSuccess("members_remove_departed");

        // Then: drained and deleted (in that order), out of etcd, whose member stops; the count is three again
        Assert.Contains("drain node-4", removed.Stdout, StringComparison.Ordinal);
        Assert.Contains("remove member node-4", removed.Stdout, StringComparison.Ordinal);
        var kubectl = File.ReadAllLines(calls).Where(l => !l.Contains(" get ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, kubectl.Count);
        Assert.Contains("drain node-4 --ignore-daemonsets --delete-emptydir-data --force", kubectl[0], StringComparison.Ordinal);
        Assert.Contains("delete node node-4", kubectl[1], StringComparison.Ordinal);
        Assert.Equal(3, MemberLines(etcd, first).Count);
        Assert.DoesNotContain(MemberLines(etcd, first), l => l.Contains(ip4, StringComparison.Ordinal));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!member4.HasExited && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(200);
        }

        Assert.True(member4.HasExited, "the removed member stops itself:\n" + member4.Output);
        etcd.Etcdctl(etcd.Endpoints, "endpoint", "health").EnsureSuccess("the three remaining members are healthy");

        // and: run again, it finds nothing left to do
        var twice = Members(env1, root1, "members_remove_departed").EnsureSuccess("members_remove_departed again");
        Assert.Contains("Node node-4: not in the cluster (deleted already)", twice.Stdout, StringComparison.Ordinal);
        Assert.Contains("is no member (removed already)", twice.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(calls).Count(l => !l.Contains(" get ", StringComparison.Ordinal)));

        // and: added back later, node-4 joins afresh; the data of its removed membership is moved aside, not deleted
        var back = Membership.Next(shrunk, null, four);
        Assert.Equal(["node-4"], back.EtcdJoiners);
        var rejoined = Members(Layout(temp, four, node4, back), root4, "members_etcd_join").EnsureSuccess("join after removal");
        Assert.Contains("no member of the cluster (it was removed): it joins afresh", rejoined.Stderr, StringComparison.Ordinal);
        Assert.Contains($"add member node-4 (https://{ip4}:2380)", rejoined.Stdout, StringComparison.Ordinal);
        var aside = Directory.GetDirectories(Path.Combine(root4, "data", "k8s", "etcd")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, aside.Count(d => d!.Contains(".removed-", StringComparison.Ordinal)));
        Assert.Equal(4, MemberLines(etcd, first).Count);

        // and: the remaining nodes' kube-nginx no longer lists node-4's apiserver (it did while node-4 was in)
        Assert.Contains($"server {ip4}:6443", RenderFixture.Render(four, RenderFixture.DebianPins, four.Nodes[0]).Content("etc/kube-nginx/kube-nginx.conf"), StringComparison.Ordinal);
        Assert.DoesNotContain(ip4, RenderFixture.Render(three, RenderFixture.DebianPins, three.Nodes[0]).Content("etc/kube-nginx/kube-nginx.conf"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_to_join_when_no_existing_member_answers_and_change_nothing()
    {
        // Given: a joining member whose cluster is not running
        using var temp = new TempDirectory("kag-nodes-down");
        using var etcd = new EtcdMembers(temp);
        var ip4 = etcd.Ips[0][..etcd.Ips[0].LastIndexOf('.')] + ".4";
        var four = etcd.Spec with { Nodes = [.. etcd.Spec.Nodes, new NodeSpec("node-4", ip4, "amd64", All)] };
        var grown = Membership.Next(Membership.Next(null, null, etcd.Spec), null, four);
        var root4 = temp.Combine("node-4");
        TreeWriter.Write(root4, RenderFixture.Render(four, RenderFixture.DebianPins, four.Nodes[3], RenderFixture.Options(root4, localAddress: ip4) with { EtcdJoiners = grown.EtcdJoiners }));
        Issue(etcd, root4, four.Nodes[3]);

        // When
        var result = Members(Layout(temp, four, four.Nodes[3], grown), root4, "members_etcd_join");

        // Then
        Assert.Equal(8, result.ExitCode);
        Assert.Contains("joins the running etcd cluster, but no member answers at https://", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("start etcd on the existing members, then run install.sh again", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(root4, "data", "k8s", "etcd", "data")));
    }

    /// <summary>The member list, one line a member.</summary>
    private static List<string> MemberLines(EtcdMembers etcd, string endpoint) =>
        etcd.Etcdctl(endpoint, "member", "list").EnsureSuccess("member list").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Certificates for <paramref name="node"/> from the members' CA at its pki paths, and etcd/etcdctl in its bin dir, as EtcdMembers does.</summary>
    private static void Issue(EtcdMembers etcd, string root, NodeSpec node)
    {
        var pki = Path.Combine(root, "etc", "kubernetes", "pki", "etcd");
        Directory.CreateDirectory(pki);
        File.Copy(Path.Combine(etcd.Ca, "ca.crt"), Path.Combine(pki, "ca.crt"));
        EtcdClusterTests.Issue(etcd.Ca, pki, "server", node.Name, "serverAuth,clientAuth", node.Ip);
        EtcdClusterTests.Issue(etcd.Ca, pki, "peer", node.Name, "serverAuth,clientAuth", node.Ip);
        EtcdClusterTests.Issue(etcd.Ca, pki, "healthcheck-client", "kube-etcd-healthcheck-client", "clientAuth", null);
        var bin = EtcdMembers.BinDir(root);
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "etcd"), "/usr/bin/etcd");
        File.CreateSymbolicLink(Path.Combine(bin, "etcdctl"), "/usr/bin/etcdctl");
    }

    /// <summary>The lib/layout.env Bundle writes for <paramref name="node"/> with this membership.</summary>
    private static string Layout(TempDirectory temp, ClusterSpec spec, NodeSpec node, Membership members)
    {
        var path = temp.Combine($"{node.Name}-{Guid.NewGuid():N}.env");
        File.WriteAllBytes(path, LayoutEnv.Render(new LayoutEnv.NodeFacts(spec, node, "v1", string.Empty, 1, ["etcd"], members)));
        return path;
    }

    /// <summary>A kubectl that records its arguments, says the Node is Ready until it is deleted, then NotFound.</summary>
    private static void StubKubectl(string root, string calls, string gone)
    {
        var path = Path.Combine(EtcdMembers.BinDir(root), "kubectl");
        File.WriteAllText(path, $$"""
            #!/bin/bash
            echo "$*" >>'{{calls}}'
            case " $* " in
                *" get node "*)
                    if [ -f '{{gone}}' ]; then echo 'Error from server (NotFound): nodes "node-4" not found' >&2; exit 1; fi
                    printf True ;;
                *" delete node "*) touch '{{gone}}' ;;
            esac
            """);
        OutputDirectory.SetMode(path, (UnixFileMode)0x1ED);
    }

    /// <summary>Runs FUNCTION of lib/members.sh with the node's layout.env, under --root <paramref name="root"/>, as install.sh loads them.</summary>
    private static Cmd.Result Members(string layoutEnv, string root, string function)
    {
        var lib = Repo.File("src", "installer", "lib");
        var script = $$"""
            set -euo pipefail
            info() { echo "[INFO]  $*"; }
            warn() { echo "[WARN]  $*" >&2; }
            fatal() { echo "[ERROR] $1" >&2; exit "${2:-1}"; }
            . '{{layoutEnv}}'
            DRY_RUN=0 YES=1 ROOT='{{root}}'
            . '{{lib}}/actions.sh'
            . '{{lib}}/day2.sh'
            . '{{lib}}/members.sh'
            {{function}}
            """;
        return Cmd.Bash(script);
    }
}
