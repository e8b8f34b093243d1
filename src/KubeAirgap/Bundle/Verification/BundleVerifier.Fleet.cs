using System.Text;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Content;

namespace KubeAirgap.Bundle.Verification;

public static partial class BundleVerifier
{
    /// <summary>
    /// The fleet layout's payload tarballs, each checked and read once for all the nodes that pin it: listed in
    /// bundle-manifest.json, present, its sha256 the one SHA256SUMS lists and bundle-manifest.json records, and
    /// every member under its payload directory.
    /// </summary>
    private sealed class PayloadReads(string dir, BundleSetManifest set, IReadOnlyDictionary<string, string> outer)
    {
        private readonly Dictionary<string, (Dictionary<string, Item> Files, Dictionary<string, string> Links, List<string> Problems)> _read = new(StringComparer.Ordinal);

        /// <summary>Adds the payload tarball's files and links to the node's (fleet layout); the pinned archive, or null (self-contained).</summary>
        public PayloadArchive? AddTo(BundleNode node, Dictionary<string, Item> files, Dictionary<string, string> links, List<string> problems)
        {
            if (set.Layout != BundleLayouts.FleetName)
            {
                if (set.Layout != BundleLayouts.SelfContainedName)
                {
                    problems.Add($"bundle-manifest.json: layout '{set.Layout}' is not known; expected {BundleLayouts.SelfContainedName} or {BundleLayouts.FleetName}");
                }

                return null;
            }

            var archive = set.Payloads?.FirstOrDefault(a => a.Key == node.PayloadKey);
            if (archive is null)
            {
                problems.Add($"bundle-manifest.json: no payload tarball for payload key {node.PayloadKey}");
                return null;
            }

            if (!_read.TryGetValue(archive.Bundle, out var read))
            {
                read = Load(archive);
                _read[archive.Bundle] = read;
            }

            problems.AddRange(read.Problems);
            foreach (var (name, item) in read.Files)
            {
                files[name] = item;
            }

            foreach (var (name, target) in read.Links)
            {
                links[name] = target;
            }

            return archive;
        }

        private (Dictionary<string, Item>, Dictionary<string, string>, List<string>) Load(PayloadArchive archive)
        {
            var problems = new List<string>();
            var path = Path.Combine(dir, archive.Bundle);
            if (archive.Bundle != Path.GetFileName(archive.Bundle) || !File.Exists(path))
            {
                problems.Add($"{archive.Bundle}: payload tarball missing");
                return ([], [], problems);
            }

            var sha = Sha256Hex.OfFile(path);
            if (!outer.TryGetValue(archive.Bundle, out var listed))
            {
                problems.Add($"{archive.Bundle}: not listed in SHA256SUMS");
            }
            else if (listed != sha)
            {
                problems.Add($"{archive.Bundle}: sha256 {sha}, SHA256SUMS says {listed}");
            }

            if (archive.Sha256 != sha || archive.Size != new FileInfo(path).Length)
            {
                problems.Add($"{archive.Bundle}: sha256 {sha} ({new FileInfo(path).Length} bytes), bundle-manifest.json pins {archive.Sha256} ({archive.Size} bytes)");
            }

            var (files, links) = Read(path, archive.Bundle, problems);
            foreach (var name in files.Keys.Concat(links.Keys).Where(n => !n.StartsWith(archive.Top + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                problems.Add($"{archive.Bundle}: {name} is outside its payload directory {archive.Top}/");
            }

            return (files, links, problems);
        }
    }

    /// <summary>The node's signed lib/layout.env must pin the payload tarball bundle-manifest.json lists (fleet), or none (self-contained).</summary>
    private static void CheckPayloadPin(BundleNode node, PayloadArchive? archive, Dictionary<string, Item> items, List<string> problems)
    {
        var env = items.GetValueOrDefault("lib/layout.env")?.Text is { } e ? Encoding.UTF8.GetString(e) : string.Empty;
        var pinned = (Tarball: EnvValue(env, "KA_PAYLOAD_TARBALL"), Dir: EnvValue(env, "KA_PAYLOAD_DIR"), Size: EnvValue(env, "KA_PAYLOAD_SIZE"), Sha256: EnvValue(env, "KA_PAYLOAD_SHA256"));
        var expected = archive is null
            ? (Tarball: string.Empty, Dir: string.Empty, Size: string.Empty, Sha256: string.Empty)
            : (Tarball: archive.Bundle, Dir: archive.Top, Size: archive.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), Sha256: archive.Sha256);
        if (pinned != expected)
        {
            problems.Add(archive is null
                ? $"{node.Bundle}: lib/layout.env pins a payload tarball ({pinned.Tarball}), but this is a self-contained bundle set"
                : $"{node.Bundle}: lib/layout.env pins {pinned.Tarball} sha256 {pinned.Sha256} ({pinned.Size} bytes, dir {pinned.Dir}), bundle-manifest.json lists {archive.Bundle} sha256 {archive.Sha256} ({archive.Size} bytes, dir {archive.Top})");
        }
    }
}
