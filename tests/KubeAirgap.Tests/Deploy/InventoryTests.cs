using System.Text.Json;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Deploy;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Deploy;

/// <summary>
/// deploy/inventory.yml follows cluster.yaml: read back by ansible-inventory --list, its groups are the node roles, its
/// hosts the nodes, ansible_host each node's address; the playbook passes ansible-playbook --syntax-check; an
/// unchanged inventory rewrites nothing.
/// </summary>
public sealed class InventoryTests
{
    private static readonly ClusterSpec Mixed = new()
    {
        Name = "plant",
        KubernetesVersion = "1.36.3",
        Nodes =
        [
            DeployFiles.Node("etcd-a", 1, NodeRole.Etcd),
            DeployFiles.Node("etcd-b", 2, NodeRole.Etcd),
            DeployFiles.Node("etcd-c", 3, NodeRole.Etcd),
            DeployFiles.Node("cp-1", 4, NodeRole.ControlPlane),
            DeployFiles.Node("cp-2", 5, NodeRole.ControlPlane, NodeRole.Worker),
            DeployFiles.Node("w-1", 6, NodeRole.Worker),
            DeployFiles.Node("w-2", 7, NodeRole.Worker),
        ],
    };

    [Fact]
    public void Ansible_inventory_lists_the_role_groups_hosts_and_addresses_of_cluster_yaml()
    {
        using var dir = new TempDirectory("kag-deploy");
        var written = DeployFiles.Write(Mixed, dir.Path);

        var list = DeployFiles.Ansible("ansible-inventory", ["-i", "inventory.yml", "--list"], written.Dir).EnsureSuccess("ansible-inventory --list");
        using var json = JsonDocument.Parse(list.Stdout);
        var root = json.RootElement;

        foreach (var group in AnsibleGroups.All)
        {
            var expected = Mixed.Nodes.Where(n => n.Has(group.Role)).Select(n => n.Name).Order(StringComparer.Ordinal).ToList();
            var actual = root.GetProperty(group.Name).GetProperty("hosts").EnumerateArray().Select(h => h.GetString()!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(expected, actual);
        }

        Assert.Equal(["control_plane", "etcd", "ungrouped", "workers"], root.GetProperty("all").GetProperty("children").EnumerateArray().Select(c => c.GetString()!).Order(StringComparer.Ordinal));
        var hostvars = root.GetProperty("_meta").GetProperty("hostvars");
        Assert.Equal(Mixed.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal), hostvars.EnumerateObject().Select(h => h.Name).Order(StringComparer.Ordinal));
        foreach (var node in Mixed.Nodes)
        {
            var vars = hostvars.GetProperty(node.Name);
            Assert.Equal(node.Ip, vars.GetProperty("ansible_host").GetString());
            Assert.Equal(BundleRequest.TarballName(Mixed, node), vars.GetProperty("kube_airgap_node_tarball").GetString());
            Assert.Equal(BundleRequest.TopDir(Mixed, node), vars.GetProperty("kube_airgap_node_dir").GetString());
            Assert.Equal(string.Empty, vars.GetProperty("kube_airgap_payload_tarball").GetString());
            Assert.Equal("plant", vars.GetProperty("kube_airgap_cluster").GetString());
            Assert.Equal("plant-bundle-signing.pub", vars.GetProperty("kube_airgap_public_key").GetString());
        }
    }

    [Fact]
    public void The_fleet_layout_gives_each_node_the_payload_tarball_of_its_arch_and_roles()
    {
        using var dir = new TempDirectory("kag-deploy");
        var written = DeployFiles.Write(Mixed, dir.Path, fleet: true);

        var list = DeployFiles.Ansible("ansible-inventory", ["-i", "inventory.yml", "--list"], written.Dir).EnsureSuccess("ansible-inventory --list");
        using var json = JsonDocument.Parse(list.Stdout);
        var hostvars = json.RootElement.GetProperty("_meta").GetProperty("hostvars");
        Assert.Equal("plant-payload-amd64-etcd.tar.gz", hostvars.GetProperty("etcd-a").GetProperty("kube_airgap_payload_tarball").GetString());
        Assert.Equal("plant-payload-amd64-control-plane.worker.tar.gz", hostvars.GetProperty("cp-2").GetProperty("kube_airgap_payload_tarball").GetString());
        Assert.Equal("plant-payload-amd64-worker.tar.gz", hostvars.GetProperty("w-1").GetProperty("kube_airgap_payload_tarball").GetString());
        Assert.Equal("fleet", hostvars.GetProperty("w-1").GetProperty("kube_airgap_layout").GetString());
    }

    [Fact]
    public void The_playbook_passes_ansible_playbooks_syntax_check_with_the_generated_inventory()
    {
        using var dir = new TempDirectory("kag-deploy");
        var written = DeployFiles.Write(Mixed, dir.Path);

        var check = DeployFiles.Ansible("ansible-playbook", ["--syntax-check", "playbook.yml"], written.Dir);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("playbook: playbook.yml", check.Stdout, StringComparison.Ordinal);

        var plays = DeployFiles.Ansible("ansible-playbook", ["--list-hosts", "playbook.yml"], written.Dir).EnsureSuccess("--list-hosts");
        Assert.Matches(@"play #2 \(etcd\).*\n\s*pattern: \['etcd'\]\n\s*hosts \(3\):", plays.Stdout);
        Assert.Matches(@"play #3 \(control_plane\).*\n\s*pattern: \['control_plane'\]\n\s*hosts \(2\):", plays.Stdout);
        Assert.Matches(@"play #4 \(workers\).*\n\s*pattern: \['workers'\]\n\s*hosts \(3\):", plays.Stdout);
    }

    [Fact]
    public void Ansible_cfg_gives_every_etcd_member_a_fork()
    {
        using var dir = new TempDirectory("kag-deploy");
        var many = Mixed with { Nodes = Enumerable.Range(1, 7).Select(i => DeployFiles.Node($"e{i}", i, NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker)).ToList() };
        var written = DeployFiles.Write(many, dir.Path);

        var config = DeployFiles.Ansible("ansible-config", ["dump", "--only-changed"], written.Dir).EnsureSuccess("ansible-config dump");
        Assert.Contains("DEFAULT_FORKS(", config.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"DEFAULT_FORKS\(.*ansible\.cfg\) = 7", config.Stdout);
    }

    [Fact]
    public void Writing_the_same_inventory_again_rewrites_no_file_and_a_changed_address_rewrites_only_what_names_it()
    {
        using var dir = new TempDirectory("kag-deploy");
        var first = DeployFiles.Write(Mixed, dir.Path);
        Assert.Equal(DeployWriter.Files.Select(f => f.Name), first.Written);
        var before = Stamps(first.Dir);

        var again = DeployFiles.Write(Mixed, dir.Path);
        Assert.Empty(again.Written);
        Assert.Equal(before, Stamps(first.Dir));

        var moved = Mixed with { Nodes = Mixed.Nodes.Select(n => n.Name == "w-2" ? n with { Ip = "127.0.2.70" } : n).ToList() };
        var changed = DeployFiles.Write(moved, dir.Path);
        Assert.Equal(["inventory.yml", "README.md"], changed.Written);
        Assert.Contains("ansible_host: \"127.0.2.70\"", File.ReadAllText(Path.Combine(first.Dir, "inventory.yml")), StringComparison.Ordinal);
        var after = Stamps(first.Dir);
        Assert.Equal(before["playbook.yml"], after["playbook.yml"]);
        Assert.NotEqual(before["inventory.yml"], after["inventory.yml"]);
        Assert.Empty(Directory.GetFiles(first.Dir, "*.tmp"));
    }

    /// <summary>Each file's inode and mtime (ns), from stat.</summary>
    private static Dictionary<string, string> Stamps(string dir) =>
        DeployWriter.Files.ToDictionary(f => f.Name, f => Cmd.Run("stat", "-c", "%i %.9Y %a", Path.Combine(dir, f.Name)).EnsureSuccess("stat").Stdout.Trim());
}
