using System.Text.Json;
using KubeAirgap.Cluster;
using KubeAirgap.Pki.Kubeconfig;
using KubeAirgap.Pki.Nodes;

namespace KubeAirgap.Pki;

/// <summary>What one PKI build produced: the material and, per node, the files written into its tree.</summary>
public sealed record PkiResult(PkiMaterial Material, IReadOnlyDictionary<string, IReadOnlyList<NodeFile>> Files, int Changes);

/// <summary>
/// The Pki step end to end: bring state/ up to date (<see cref="PkiEngine"/>), write every node's PKI files into
/// its tree, keep a copy of the break-glass super-admin.conf in state/, and write a manifest of the files and which are
/// secret.
/// </summary>
public static class PkiBuild
{
    public const string ManifestName = "pki-files.json";

    public static PkiResult Run(PkiEngine engine, ClusterSpec spec, Func<string, string> nodeTree)
    {
        var material = engine.Run();
        var changes = 0;
        var all = NodeFileTable.AllPaths(material);
        var files = new SortedDictionary<string, IReadOnlyList<NodeFile>>(StringComparer.Ordinal);
        foreach (var node in spec.Nodes)
        {
            var set = NodeFileTable.For(material, node);
            changes += NodeFileWriter.Write(nodeTree(node.Name), set, all);
            files[node.Name] = set;
        }

        foreach (var k in KubeconfigTable.All().Where(k => k.Name == KubeconfigTable.SuperAdmin().Name))
        {
            engine.Store.Write(engine.Store.Kubeconfig(k.FileName), NodeFileTable.Render(material, k, null), secret: true);
        }

        return new PkiResult(material, files, changes);
    }

    /// <summary>Machine-readable list of every node's PKI files: bundle path, node path, mode, secret (mode 0600 = secret).</summary>
    public static string Manifest(ClusterSpec spec, PkiResult result) =>
        JsonSerializer.Serialize(
            new
            {
                cluster = spec.Name,
                caKeyOnNodes = spec.Pki.CaKeyOnNodes,
                keyAlgorithm = spec.Pki.KeyAlgorithm,
                nodes = result.Files.ToDictionary(
                    kv => kv.Key,
                    kv => kv.Value.Select(f => new
                    {
                        path = f.BundlePath,
                        nodePath = f.NodePath,
                        mode = f.Secret ? "0600" : "0644",
                        secret = f.Secret,
                    })),
            },
            new JsonSerializerOptions { WriteIndented = true }) + "\n";
}
