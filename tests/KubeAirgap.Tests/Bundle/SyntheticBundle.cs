using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle;
using KubeAirgap.Cluster;
using KubeAirgap.Pins;
using KubeAirgap.TestSupport.Synthetic;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Bundle;

/// <summary>A synthetic cluster (payloads + node trees of the real shape) in a temp dir, and bundles built from it.</summary>
public sealed class SyntheticBundle : IDisposable
{
    private static readonly Lazy<PinsFile> RepoPins = new(() => PinsLoader.LoadValid(Repo.File("pins.yaml")));

    public SyntheticBundle(int nodes = 3, long binaryBytes = 256 * 1024, long imageBytes = 512 * 1024, string arch = "amd64")
    {
        Dir = new TempDirectory("kag-bundle");
        Spec = SyntheticInputs.Cluster("t", nodes, Pins.Releases[0].Kubernetes, arch: arch);
        SyntheticPins = SyntheticInputs.WritePayloads(Spec, Pins, PayloadDir, binaryBytes, imageBytes);
        foreach (var node in Spec.Nodes)
        {
            SyntheticInputs.WriteNodeTree(Spec, node, NodeTree(node.Name));
        }
    }

    public TempDirectory Dir { get; }

    public ClusterSpec Spec { get; private set; }

    public static PinsFile Pins => RepoPins.Value;

    /// <summary>The repository's pins with the plain-file artifacts' sha256 set to the synthetic binaries' (what Bundle checks them against).</summary>
    public PinsFile SyntheticPins { get; private set; }

    /// <summary>Records the payloads as staged again (ledger, pins) after a test changed them on purpose.</summary>
    public void Reseal() => SyntheticPins = SyntheticInputs.Seal(Spec, Pins, PayloadDir);

    /// <summary>Moves the cluster to another Kubernetes version, as editing kubernetesVersion in cluster.yaml does, and
    /// records the payloads as staged from <paramref name="pins"/> (default: the repository's) for it.</summary>
    public void UseKubernetesVersion(string version, PinsFile? pins = null)
    {
        Spec = Spec with { KubernetesVersion = version };
        SyntheticPins = SyntheticInputs.Seal(Spec, pins ?? Pins, PayloadDir);
    }

    /// <summary>The payload directory of the first (full) node's payload key.</summary>
    public string FirstPayload => PayloadDir(KubeAirgap.Layout.PayloadKey.Of(Spec.Nodes[0]).Name);

    public string PayloadDir(string key) => Dir.Combine("inputs", "payload", key);

    public string NodeTree(string node) => Dir.Combine("inputs", "nodes", node);

    /// <summary>The payload directory in the tarballs of the 3 full nodes (n01-n03).</summary>
    public const string FullPayloadTop = "t-payload-amd64-etcd.control-plane.worker";

    /// <summary>The key the fixture's bundles are signed with unless a test passes another.</summary>
    public BundleSigner Signer { get; } = BundleSigner.Generate();

    public BundleRequest Request(string output, BundleSigner? signer = null, string? payloadCache = null) =>
        new(Spec, SyntheticPins, PayloadDir, NodeTree, Repo.File("src", "installer"), Dir.Combine(output), payloadCache ?? Dir.Combine(output + "-payloads"),
            1700000000, 6, 2, signer ?? Signer);

    public BundleBuilder.Result Build(string output = "out", BundleSigner? signer = null, string? payloadCache = null) =>
        BundleBuilder.Build(Request(output, signer, payloadCache));

    /// <summary>Builds set <paramref name="name"/>, extracts its tarballs with tar into <paramref name="dir"/> and puts the
    /// public key beside them as <c>bundle-signing.pub</c> (what the installer tests hand to --pubkey).</summary>
    public void BuildExtracted(string name, string dir)
    {
        var result = Build(name);
        Directory.CreateDirectory(dir);
        foreach (var t in result.Tarballs)
        {
            Cmd.Run("tar", "-xzf", t.Path, "-C", dir).EnsureSuccess("tar xzf");
        }

        File.WriteAllText(Path.Combine(dir, "bundle-signing.pub"), Signer.PublicKeyPem());
    }

    /// <summary>Changes a node's IP in the inventory and re-renders its tree, as Render would.</summary>
    /// <summary>Changes one file of the node's own rendered tree (a config only that node carries).</summary>
    public void ChangeNodeFile(string node)
    {
        var file = Directory.GetFiles(NodeTree(node), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).First();
        File.AppendAllText(file, "\n# changed\n");
    }

    public void ChangeIp(string node, string ip)
    {
        Spec = Spec with { Nodes = Spec.Nodes.Select(n => n.Name == node ? n with { Ip = ip } : n).ToList() };
        var tree = NodeTree(node);
        Directory.Delete(tree, recursive: true);
        SyntheticInputs.WriteNodeTree(Spec, Spec.Nodes.Single(n => n.Name == node), tree);
    }

    public string Tarball(BundleBuilder.Result result, string node) =>
        result.Tarballs.Single(t => Path.GetFileName(t.Path).StartsWith($"{Spec.Name}-{node}-", StringComparison.Ordinal)).Path;

    public void Dispose() => Dir.Dispose();
}
