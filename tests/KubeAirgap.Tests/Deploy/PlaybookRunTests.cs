using KubeAirgap.Bundle;
using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Deploy;

/// <summary>
/// The generated playbook run for real by Debian's ansible-playbook against four loopback hosts (n01-n03: etcd,
/// control plane and worker; n04: worker), each installing with the real installer into its own --root: the
/// order is read from the playbook's own -v output (each command's start and end).
/// </summary>
public sealed class PlaybookRunTests(PlaybookRunTests.SignedSet set) : IClassFixture<PlaybookRunTests.SignedSet>
{
    /// <summary>A synthetic 4-node bundle set signed as Bundle signs it, with its deploy/ written from its inventory.</summary>
    public sealed class SignedSet : IDisposable
    {
        public SignedSet()
        {
            Fixture = new SyntheticBundle(nodes: 4);
            Result = Fixture.Build();
            Output = Path.GetDirectoryName(Result.Tarballs[0].Path)!;
            DeployFiles.Write(Fixture.Spec, Output);
        }

        public SyntheticBundle Fixture { get; }

        public BundleBuilder.Result Result { get; }

        public string Output { get; }

        public IReadOnlyList<string> Nodes => Fixture.Spec.Nodes.Select(n => n.Name).ToList();

        public LoopbackSite Site() => new(Output, Nodes, Fixture.Spec.Name);

        public void Dispose() => Fixture.Dispose();
    }

    [Fact]
    public void Verifies_on_each_node_preflights_all_then_installs_etcd_together_the_control_plane_one_by_one_and_workers_in_batches_and_a_rerun_changes_nothing()
    {
        using var site = set.Site();

        var run = site.RunPlaybook("-e", "kube_airgap_worker_serial=2");
        Assert.True(run.ExitCode == 0, run.Output);
        var log = new PlaybookLog(run.Stdout);

        // on every node, in this order: the signature and sha256 checked there, then extraction, then preflight
        var verify = log.Of("Copy the bundles", "Verify the signature");
        var extract = log.Of("Copy the bundles", "Extract the verified node tarball");
        var preflight = log.Of("Copy the bundles", "Preflight");
        foreach (var node in set.Nodes)
        {
            var v = verify.Single(e => e.Host == node);
            Assert.Contains($"t-{node}-amd64.tar.gz: sha256 ", v.Text("stderr"), StringComparison.Ordinal);
            Assert.Contains("SHA256SUMS: signature good", v.Text("stderr"), StringComparison.Ordinal);
            var x = extract.Single(e => e.Host == node);
            Assert.True(v.End <= x.Start, $"{node}: extracted at {x.Start:O}, before its verification ended at {v.End:O}");
            var p = preflight.Single(e => e.Host == node);
            Assert.Contains($"preflight passed for t/{node}", p.Text("stdout"), StringComparison.Ordinal);
            Assert.True(x.End <= p.Start, $"{node}: preflight before extraction");
        }

        // no install starts before every node's preflight has ended
        var installs = log.Entries.Where(e => e.Task.StartsWith("install.sh install", StringComparison.Ordinal)).ToList();
        var lastPreflight = preflight.Max(e => e.End);
        Assert.All(installs, i => Assert.True(i.Start >= lastPreflight, $"{i.Host}: install at {i.Start:O} before the last preflight ended at {lastPreflight:O}"));

        // the etcd members install together: each started before any of them ended
        var etcd = log.Of("Install the etcd members together", "install.sh install");
        Assert.Equal(["n01", "n02", "n03"], etcd.Select(e => e.Host).Order(StringComparer.Ordinal));
        Assert.All(etcd, e => Assert.Equal("changed", e.Status));
        Assert.True(etcd.Max(e => e.Start) < etcd.Min(e => e.End), Intervals("etcd", etcd));

        // the control plane one node at a time, in inventory order, each checked before the next starts
        var cp = log.Of("Install the control-plane nodes", "install.sh install");
        Assert.Equal(["n01", "n02", "n03"], cp.Select(e => e.Host));
        for (var i = 1; i < cp.Count; i++)
        {
            Assert.True(cp[i - 1].End <= cp[i].Start, Intervals("control plane", cp));
        }

        Assert.All(log.Of("Install the control-plane nodes", "This node's kube-apiserver answers /readyz"), e => Assert.Equal("skipping", e.Status));

        // workers in batches of 2: n01+n02 together, then n03+n04 together, the second batch after the first
        var workers = log.Of("Install the workers", "install.sh install");
        Assert.Equal(["n01", "n02", "n03", "n04"], workers.Select(e => e.Host).Order(StringComparer.Ordinal));
        var first = workers.Where(e => e.Host is "n01" or "n02").ToList();
        var second = workers.Where(e => e.Host is "n03" or "n04").ToList();
        Assert.True(first.Max(e => e.End) <= second.Min(e => e.Start), Intervals("workers", workers));
        Assert.True(second.Max(e => e.Start) < second.Min(e => e.End), Intervals("second batch", second));
        Assert.Equal("changed", workers.Single(e => e.Host == "n04").Status);

        // what each node got: its own bundle installed into its own root, the key pinned
        foreach (var node in set.Nodes)
        {
            Assert.True(File.Exists(Path.Combine(site.Root(node), "etc/kube-airgap/trusted.pub")), $"{node}: no pinned key");
            Assert.Contains($"t/{node}", File.ReadAllText(Path.Combine(site.Host(node, "install.log"))), StringComparison.Ordinal);
            Assert.Equal("700", Cmd.Run("stat", "-c", "%a", site.Stage(node)).Stdout.Trim());
        }

        // run again: verified and preflighted again, every install says "no changes"
        var again = site.RunPlaybook();
        Assert.True(again.ExitCode == 0, again.Output);
        var reinstalls = new PlaybookLog(again.Stdout).Entries.Where(e => e.Task.StartsWith("install.sh install", StringComparison.Ordinal)).ToList();
        Assert.Equal(3 + 3 + 4, reinstalls.Count);
        Assert.All(reinstalls, e => Assert.Equal("ok", e.Status));
        Assert.All(reinstalls, e => Assert.Contains("no changes", e.Text("stdout"), StringComparison.Ordinal));
    }

    [Fact]
    public void A_tampered_tarball_stops_the_rollout_on_verification_before_any_node_extracts_anything()
    {
        using var site = set.Site();
        var tarball = Path.Combine(site.Artifacts, "t-n03-amd64.tar.gz");
        File.AppendAllText(tarball, "tampered");

        var run = site.RunPlaybook();
        Assert.NotEqual(0, run.ExitCode);
        var log = new PlaybookLog(run.Stdout);

        var verify = log.Of("Copy the bundles", "Verify the signature");
        var failed = verify.Single(e => e.Host == "n03");
        Assert.Equal("fatal", failed.Status);
        Assert.Contains("t-n03-amd64.tar.gz: sha256 ", failed.Text("stderr"), StringComparison.Ordinal);
        Assert.Contains("SHA256SUMS says", failed.Text("stderr"), StringComparison.Ordinal);
        Assert.Empty(log.Of(string.Empty, "Extract"));
        Assert.Empty(log.Of(string.Empty, "Preflight"));
        foreach (var node in set.Nodes)
        {
            Assert.False(Directory.Exists(Path.Combine(site.Stage(node), $"t-{node}")), $"{node}: extracted");
            Assert.Empty(Directory.GetFileSystemEntries(site.Root(node)));
        }
    }

    [Fact]
    public void A_node_failing_preflight_stops_the_rollout_before_any_install_and_every_node_was_checked()
    {
        using var site = set.Site();
        site.WithoutSystemd("n02");

        var run = site.RunPlaybook();
        Assert.NotEqual(0, run.ExitCode);
        var log = new PlaybookLog(run.Stdout);

        var preflight = log.Of("Copy the bundles", "Preflight");
        Assert.Equal(["n01", "n02", "n03", "n04"], preflight.Select(e => e.Host).Order(StringComparer.Ordinal));
        var failed = preflight.Single(e => e.Host == "n02");
        Assert.Equal("fatal", failed.Status);
        Assert.Equal(3, failed.Rc);
        Assert.Contains("[FAIL]  systemd: not running as init", failed.Text("stderr"), StringComparison.Ordinal);
        Assert.All(preflight.Where(e => e.Host != "n02"), e => Assert.Equal(0, e.Rc));
        Assert.DoesNotContain(log.Entries, e => e.Task.StartsWith("install.sh install", StringComparison.Ordinal));
        Assert.All(set.Nodes, node => Assert.Empty(Directory.GetFileSystemEntries(site.Root(node))));
    }

    private static string Intervals(string what, IEnumerable<PlaybookLog.Entry> entries) =>
        what + ": " + string.Join("; ", entries.Select(e => $"{e.Host} {e.Start:HH:mm:ss.ffffff}-{e.End:HH:mm:ss.ffffff}"));
}
