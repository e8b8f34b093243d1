using System.Text.Json;
using KubeAirgap.Cluster;
using KubeAirgap.Pki.Kubeconfig;
using KubeAirgap.Pki.Nodes;

namespace KubeAirgap.Pki;

/// <summary>What one PKI build produced: the material and, per node, the files written into its tree.</summary>
public sealed record PkiResult(PkiMaterial Material, IReadOnlyDictionary<string, IReadOnlyList<NodeFile>> Files, int Changes)
{
    /// <summary>The renewal policy of the run (clock override, forced names), recorded in the manifest.</summary>
    public RenewalPolicy Renewal { get; init; } = RenewalPolicy.None;

    /// <summary>The leaves this run re-issued, with why.</summary>
    public IReadOnlyList<IssuedCert> Reissued => Material.Certificates.Where(c => c.Action == PkiAction.Reissued).ToList();

    /// <summary>Nodes whose PKI files this run changed: the ones that need a new bundle.</summary>
    public IReadOnlyList<string> ChangedNodes { get; init; } = [];
}

/// <summary>
/// The Pki step end to end: bring state/ up to date (<see cref="PkiEngine"/>), write every node's PKI files into
/// its tree, keep a copy of the break-glass super-admin.conf in state/, and write a manifest of the files and which are
/// secret (<see cref="ManifestName"/> in the cluster's artifacts directory, which Bundle and Certs read).
/// </summary>
public static class PkiBuild
{
    public const string ManifestName = "pki-files.json";

    /// <param name="manifestDir">Where <see cref="ManifestName"/> goes: artifacts/&lt;cluster&gt;/.</param>
    public static PkiResult Run(PkiEngine engine, ClusterSpec spec, Func<string, string> nodeTree, string manifestDir)
    {
        var material = engine.Run();
        var changes = 0;
        var changedNodes = new List<string>();
        var all = NodeFileTable.AllPaths(material);
        var files = new SortedDictionary<string, IReadOnlyList<NodeFile>>(StringComparer.Ordinal);
        foreach (var node in spec.Nodes)
        {
            var set = NodeFileTable.For(material, node);
            var written = NodeFileWriter.Write(nodeTree(node.Name), set, all);
            changes += written;
            if (written > 0)
            {
                changedNodes.Add(node.Name);
            }

            files[node.Name] = set;
        }

        foreach (var k in KubeconfigTable.All().Where(k => k.Name == KubeconfigTable.SuperAdmin().Name))
        {
            engine.Store.Write(engine.Store.Kubeconfig(k.FileName), NodeFileTable.Render(material, k, null), secret: true);
        }

        var result = new PkiResult(material, files, changes) { Renewal = engine.Renewal, ChangedNodes = changedNodes };
        State.SecureFile.Write(Path.Combine(manifestDir, ManifestName), Manifest(spec, result), State.SecureFile.Public);
        return result;
    }

    /// <summary>What a run did, for the log: counts by action, each re-issue with its reason, the nodes that need a new bundle.</summary>
    public static IEnumerable<string> Report(ClusterSpec spec, PkiEngine engine, PkiResult result)
    {
        var certs = result.Material.Certificates;
        int Count(PkiAction action) => certs.Count(c => c.Action == action);
        yield return $"PKI of {spec.Name}: {certs.Count} certificate(s) ({Count(PkiAction.Created)} created, {Count(PkiAction.Reissued)} re-issued, "
            + $"{Count(PkiAction.Imported)} imported, {Count(PkiAction.Reused)} reused) in {engine.Store.Root}; {result.Changes} node file(s) changed; "
            + $"CA keys on nodes: {(spec.Pki.CaKeyOnNodes ? "cluster CA key on control-plane nodes" : "none (CSR signer off)")}";
        foreach (var c in result.Reissued)
        {
            yield return $"re-issued {c.Label}: {c.Reason}";
        }

        if (result.Reissued.Count > 0)
        {
            var window = engine.Renewal.AsOf is { } at ? $", window as of {at.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)} (--pki_asof)" : string.Empty;
            yield return $"renewal: {result.Reissued.Count} leaf certificate(s) re-issued by the same CAs{window}; "
                + $"nodes whose files changed (run Bundle, install their new bundles): {string.Join(", ", result.ChangedNodes)}";
        }
    }

    /// <summary>Machine-readable list of every node's PKI files: bundle path, node path, mode, secret (mode 0600 = secret).</summary>
    public static string Manifest(ClusterSpec spec, PkiResult result) =>
        JsonSerializer.Serialize(
            new
            {
                cluster = spec.Name,
                caKeyOnNodes = spec.Pki.CaKeyOnNodes,
                keyAlgorithm = spec.Pki.KeyAlgorithm,
                renewal = Renewal(spec, result),
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
            new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) + "\n";

    /// <summary>The renewal record of a run: the clock override and forced names it used, and what it re-issued and why
    /// (pki-files.json's <c>renewal</c>, copied into bundle-manifest.json's <c>pki</c>).</summary>
    public static PkiRenewalRecord Renewal(ClusterSpec spec, PkiResult result) =>
        new(
            result.Renewal.AsOf?.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            result.Renewal.Forced,
            spec.Pki.RenewBeforeDays,
            result.Reissued.Select(c => new PkiReissue(c.Label, c.Reason, c.Facts.Sha256, c.Facts.NotAfter.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture))).ToList(),
            result.ChangedNodes);
}
