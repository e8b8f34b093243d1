using KubeAirgap.Bundle.Tar;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Roles;

namespace KubeAirgap.Deploy;

/// <summary>The facts the templates under templates/deploy/ read (exposed to Scriban in snake_case).</summary>
public sealed record DeployModel(
    string Cluster,
    string Layout,
    string PublicKey,
    string VerifyScript,
    string Sums,
    int ApiserverPort,
    int Forks,
    IReadOnlyList<DeployModel.Host> Hosts,
    IReadOnlyList<DeployModel.GroupHosts> Groups)
{
    /// <summary>One node: where Ansible reaches it, the tarball(s) it gets and the directory the node tarball extracts to.
    /// <paramref name="PayloadTarball"/> and <paramref name="PayloadDir"/>: the fleet layout's payload tarball (empty in
    /// the self-contained layout) and the payload directory a self-contained tarball also extracts.</summary>
    public sealed record Host(string Name, string Address, string Roles, string NodeTarball, string PayloadTarball, string NodeDir, string PayloadDir);

    public sealed record GroupHosts(string Name, string Purpose, IReadOnlyList<string> Hosts);

    public static DeployModel Of(DeployRequest request)
    {
        var spec = request.Spec;
        var hosts = spec.Nodes
            .Select(n => new Host(
                n.Name,
                n.Ip,
                string.Join(",", n.Roles.Order().Select(r => r.Name())),
                BundleRequest.TarballName(spec, n),
                request.Fleet ? PayloadTarballName(spec, n) : string.Empty,
                BundleRequest.TopDir(spec, n),
                BundleRequest.PayloadTopDir(spec, PayloadKey.Of(n))))
            .ToList();
        var groups = AnsibleGroups.All
            .Select(g => new GroupHosts(g.Name, g.Purpose, spec.Nodes.Where(n => n.Has(g.Role)).Select(n => n.Name).ToList()))
            .ToList();
        var etcd = groups.Single(g => g.Name == "etcd").Hosts.Count;
        return new DeployModel(
            spec.Name,
            request.Fleet ? "fleet" : "self-contained",
            BundleRequest.PublicKeyName(spec),
            BundleRequest.VerifyScriptName,
            BundleRequest.SumsName,
            spec.ApiServer.SecurePort,
            Math.Max(DefaultForks, etcd),
            hosts,
            groups);
    }

    /// <summary>Ansible's default; raised to the number of etcd members so that they all install at once.</summary>
    public const int DefaultForks = 5;

    /// <summary>The fleet layout's payload tarball of a node: its payload directory's name plus .tar.gz (fleet-contract.md).</summary>
    public static string PayloadTarballName(ClusterSpec spec, NodeSpec node) => BundleRequest.PayloadTopDir(spec, PayloadKey.Of(node)) + ".tar.gz";
}
