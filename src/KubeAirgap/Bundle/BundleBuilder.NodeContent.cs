using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Layout;
using KubeAirgap.Render.Versions;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle;

public static partial class BundleBuilder
{
    /// <summary>Every entry of one node's bundle, with the generated files (layout.env, files.tsv, manifest.json, SHA256SUMS).</summary>
    public sealed record NodeContent(IReadOnlyList<BundleEntry> Entries, NodeManifest Manifest, IReadOnlyDictionary<string, string?> NodePaths)
    {
        public ManifestFile Describe(BundleEntry e) =>
            new(e.Path, NodePaths.GetValueOrDefault(e.Path), e.Sha256, e.Size, e.ModeText, e.Secret);

        public static NodeContent Collect(BundleRequest request, NodeSpec node, Payload payload, IReadOnlyList<BundleEntry> installer, Day2.Membership? members = null, PayloadArchive? pin = null, TestBundleStamp? stamp = null, Content.FileDigestCache? digests = null)
        {
            var spec = request.Spec;
            var tree = request.NodeTreeDir(node.Name);
            if (!Directory.Exists(tree))
            {
                throw new DirectoryNotFoundException($"node {node.Name}: rendered tree {tree} does not exist (run Render first)");
            }

            var unexpected = Directory.EnumerateFileSystemEntries(tree)
                .Select(Path.GetFileName)
                .Where(n => !NodeTreeDirs.Contains(n!))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (unexpected.Count > 0)
            {
                throw new InvalidDataException($"node {node.Name}: {tree} holds {string.Join(", ", unexpected)}; only {string.Join(", ", NodeTreeDirs)} are bundled");
            }

            var own = NodeTreeDirs.SelectMany(d => BundleEntry.Tree(tree, d, shared: false, digests: digests)).ToList();
            var foreign = own.Select(e => ElfArch.Mismatch(e.Path, e.Source!, node.Arch)).OfType<string>().ToList();
            if (foreign.Count > 0)
            {
                throw new InvalidDataException($"node {node.Name}: {string.Join("; ", foreign)}");
            }

            var installable = payload.Entries.Concat(own).ToList();
            var versionDir = VersionDir(spec, payload.Entries);
            var layout = new NodeLayout(spec);
            var nodePaths = installable.ToDictionary(e => e.Path, e => (string?)LayoutEnv.NodePath(layout, spec, versionDir, e.Path), StringComparer.Ordinal);

            var units = NodeRequirements.Units
                .Where(u => own.Any(e => e.Path == $"etc/systemd/system/{u.Name}.service"))
                .Select(u => u.Name)
                .ToList();
            var totalBytes = installable.Sum(e => e.Size);
            var facts = new LayoutEnv.NodeFacts(spec, node, versionDir, payload.KubeNginx.Glibc ?? string.Empty,
                (2 * totalBytes / (1024 * 1024)) + 2048, units, members, pin, stamp);
            var generated = new List<BundleEntry>
            {
                BundleEntry.FromBytes("lib/layout.env", LayoutEnv.Render(facts), 0x1A4),
                BundleEntry.FromBytes("lib/files.tsv", LayoutEnv.FilesTable(spec, versionDir, installable), 0x1A4),
            };

            var roles = node.Roles.Order().Select(r => r.Name()).ToList();
            var body = installable.Concat(installer).Concat(generated).OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
            var files = body.Select(e => new ManifestFile(e.Path, nodePaths.GetValueOrDefault(e.Path), e.Sha256, e.Size, e.ModeText, e.Secret)).ToList();
            var manifest = new NodeManifest(
                1, spec.Name, node.Name, node.Ip, node.Arch, roles, payload.Key.Name, spec.KubernetesVersion, versionDir,
                Versions(spec, request.Pins, node.Roles), payload.Images, spec.Pki.CaKeyOnNodes, payload.KubeNginx,
                request.SourceDateEpoch, files, pin, stamp);
            var manifestEntry = BundleEntry.FromBytes("manifest.json", JsonFile.Serialize(manifest), 0x1A4);
            body.Add(manifestEntry);
            var sums = Sha256Sums.Render(body.Select(e => (e.Path, e.Sha256)));
            body.Add(BundleEntry.FromBytes("SHA256SUMS", sums, 0x1A4));
            body.Add(BundleEntry.FromBytes("SHA256SUMS.sig", request.SignerOrThrow.Sign(sums), 0x1A4));

            return new NodeContent(body, manifest, nodePaths);
        }
    }
}
