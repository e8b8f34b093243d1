using KubeAirgap.Cluster;
using KubeAirgap.Diagnostics;
using KubeAirgap.Pins;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Cluster;

/// <summary>A valid inventory as text; tests change one line and look at what Validate says.</summary>
public static class InventoryFixture
{
    public const string Valid = """
        apiVersion: kube-airgap/v1
        cluster:
          name: demo
          kubernetesVersion: 1.36.3
          clusterDomain: cluster.local
        network:
          serviceCidr: 10.254.0.0/16
          podCidr: 172.30.0.0/16
          nodePortRange: 30000-32767
          proxyMode: nftables
        apiserver:
          securePort: 6443
          localProxyPort: 8443
          extraSans: [k8s.example.internal, 10.0.0.10]
        pki:
          keyAlgorithm: rsa-2048
        nodes:
          - name: k8s-01
            ip: 192.168.93.45
            arch: amd64
            roles: [etcd, control-plane, worker]
          - name: k8s-02
            ip: 192.168.93.46
            arch: amd64
            roles: [etcd, control-plane, worker]
          - name: k8s-03
            ip: 192.168.93.47
            arch: amd64
            roles: [etcd, control-plane, worker]
        """;

    public static PinsFile Pins { get; } = PinsLoader.LoadValid(Repo.File("pins.yaml"));

    public static (ClusterSpec? Spec, IReadOnlyList<Diagnostic> Diagnostics) Check(string yaml, bool withPins = true)
    {
        var bag = new DiagnosticBag();
        var spec = ClusterLoader.Parse(yaml, bag);
        if (spec is not null)
        {
            bag.AddRange(ClusterValidator.Validate(spec, withPins ? Pins : null));
        }

        return (spec, bag.Items);
    }

    /// <summary>The valid inventory with <paramref name="from"/> replaced by <paramref name="to"/> (must occur).</summary>
    public static string With(string from, string to)
    {
        Assert.Contains(from, Valid, StringComparison.Ordinal);
        return Valid.Replace(from, to, StringComparison.Ordinal);
    }
}
