using System.Globalization;
using System.Text;
using KubeAirgap.Content;
using KubeAirgap.Pins;
using KubeAirgap.Roles;

namespace KubeAirgap.Layout;

/// <summary>
/// <c>meta/staged.tsv</c> in a payload directory: what Fetch staged there, one row per file: its sha256 when it was
/// written from the verified artifact, and that artifact (component, version, arch and its pinned digest). Bundle
/// and Fetch's re-run check every staged file against it and against pins.yaml, so the pins stay the only source
/// of truth from download to tarball: a changed file, or a file no pinned layout accounts for, is refused.
/// A staged artifact is a pinned <see cref="Component"/>, the arch its artifact is pinned for (or
/// <see cref="PinsFile.NoArch"/>) and that <see cref="Artifact"/>.
/// </summary>
public static class PayloadLedger
{
    public const string RelativePath = "meta/staged.tsv";

    /// <summary>A staged file and the pinned artifact it came from (<paramref name="Digest"/> as <c>sha256:hex</c> or <c>sha512:hex</c>).</summary>
    public sealed record Row(string Path, string Sha256, string Component, string Version, string Arch, string Digest);

    /// <summary>Payload files that other tasks write, and who vouches for them (no pins layout names them).</summary>
    public static readonly IReadOnlyDictionary<string, string> BuiltHere = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["bin/kube-nginx"] = "meta/kube-nginx.json (Nginx task)",
        ["images/images.oci.tar"] = "the Images task's OCI archive",
    };

    private const string Header = "# sha256\tpath\tcomponent\tversion\tarch\tartifact-digest";

    public static string FileOf(string payloadDir) => System.IO.Path.Combine(payloadDir, RelativePath);

    /// <summary>Hashes each staged path in <paramref name="staged"/> and writes the ledger (temp name, then rename).</summary>
    public static IReadOnlyList<Row> Record(string payloadDir, IEnumerable<(string Path, string Component, string Version, string Arch, string Digest)> staged)
    {
        var rows = staged
            .Select(s => new Row(s.Path, Sha256Hex.OfFile(System.IO.Path.Combine(payloadDir, s.Path)), s.Component, s.Version, s.Arch, s.Digest))
            .OrderBy(r => r.Path, StringComparer.Ordinal)
            .ToList();
        var text = new StringBuilder(Header).Append('\n');
        foreach (var r in rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"{r.Sha256}\t{r.Path}\t{r.Component}\t{r.Version}\t{r.Arch}\t{r.Digest}\n");
        }

        var file = FileOf(payloadDir);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        AtomicFile.WriteIfChanged(file, text.ToString());
        return rows;
    }

    /// <summary>The ledger's rows by path; empty when the payload has none (then every staged file is unaccounted for).</summary>
    public static IReadOnlyDictionary<string, Row> Read(string payloadDir)
    {
        var file = FileOf(payloadDir);
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        if (!File.Exists(file))
        {
            return rows;
        }

        var number = 0;
        foreach (var line in File.ReadLines(file))
        {
            number++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var f = line.Split('\t');
            if (f.Length != 6)
            {
                throw new InvalidDataException($"{file}:{number}: expected 6 tab-separated fields, found {f.Length}");
            }

            rows[f[1]] = new Row(f[1], f[0], f[2], f[3], f[4], f[5]);
        }

        return rows;
    }

    /// <summary>The rows pins.yaml implies for the payload of <paramref name="key"/> under the release of <paramref name="kubernetesVersion"/>.</summary>
    public static IReadOnlyDictionary<string, (Row Row, string? PlainSha256)> Expected(PinsFile pins, string kubernetesVersion, PayloadKey key)
    {
        var release = pins.ReleaseFor(kubernetesVersion)
            ?? throw new InvalidDataException($"pins.yaml has no release for Kubernetes {kubernetesVersion}");
        return Expected(
            ComponentCatalog.ComponentsFor(key.Roles)
                .Select(name => release.VersionOf(name) is { } version ? pins.Find(name, version) : null)
                .OfType<Component>()
                .Where(c => c.Layout.Type != "source")
                .Select(c => (c, ArtifactArch: c.Artifacts.ContainsKey(key.Arch) ? key.Arch : PinsFile.NoArch, Artifact: c.For(key.Arch)))
                .Where(c => c.Artifact is not null)
                .Select(c => (c.c, c.ArtifactArch, c.Artifact!)),
            key.Arch);
    }

    /// <summary>The rows pins.yaml implies for the artifacts staged into one payload of <paramref name="arch"/> (what
    /// Fetch records when staging them), by path;
    /// <c>PlainSha256</c> is the file's own pinned sha256 when the artifact is a plain file, not an archive.</summary>
    public static IReadOnlyDictionary<string, (Row Row, string? PlainSha256)> Expected(IEnumerable<(Component Component, string Arch, Artifact Artifact)> sources, string arch) =>
        sources
            .SelectMany(s => s.Component.Layout.Files.Select(f => (
                Row: new Row(f.Path, string.Empty, s.Component.Name, s.Component.Version, s.Arch == PinsFile.NoArch ? arch : s.Arch, DigestOf(s.Artifact)),
                PlainSha256: s.Component.Layout.Type == "file" ? s.Artifact.Sha256?.ToLowerInvariant() : null)))
            .GroupBy(e => e.Row.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>The pinned digest as Fetch names it (<c>sha256:hex</c>, else <c>sha512:hex</c>).</summary>
    private static string DigestOf(Artifact artifact) =>
        artifact.Sha256 is { } s ? "sha256:" + s.ToLowerInvariant() : artifact.Sha512 is { } s5 ? "sha512:" + s5.ToLowerInvariant() : "(no checksum pinned)";

    /// <summary>Records the files of <paramref name="sources"/> staged into <paramref name="payloadDir"/> (Fetch's Stager).</summary>
    public static IReadOnlyList<Row> Record(string payloadDir, IEnumerable<(Component Component, string Arch, Artifact Artifact)> sources, string arch) =>
        Record(payloadDir, Expected(sources, arch).Values.Select(e => (e.Row.Path, e.Row.Component, e.Row.Version, e.Row.Arch, e.Row.Digest)));

    /// <summary>Throws, naming every file, when <see cref="Problems"/> finds any (Fetch's check of an already staged payload).</summary>
    public static void Refuse(string payloadDir, IEnumerable<(Component Component, string Arch, Artifact Artifact)> sources, string arch)
    {
        var files = StagedFiles(payloadDir);
        var nginx = KubeNginxSha256(payloadDir);
        var problems = Problems(files, Read(payloadDir), Expected(sources, arch), nginx);
        if (problems.Count > 0)
        {
            throw new InvalidDataException($"payload {payloadDir}: {problems.Count} staged file(s) differ from their pins:\n  {string.Join("\n  ", problems)}");
        }
    }

    /// <summary>Every file under bin/ and images/ of a payload, by payload-relative path, with its sha256 (symlinks refused).</summary>
    public static IReadOnlyDictionary<string, string> StagedFiles(string payloadDir) =>
        FileTree.Below(payloadDir, "bin").Concat(FileTree.Below(payloadDir, "images"))
            .ToDictionary(f => f.Path, f => HashRegular(f.FullPath), StringComparer.Ordinal);

    private static string HashRegular(string file)
    {
        FileKind.RequireRegular(file);
        return Sha256Hex.OfFile(file);
    }

    /// <summary>The sha256 meta/kube-nginx.json records for bin/kube-nginx, if any.</summary>
    public static string? KubeNginxSha256(string payloadDir)
    {
        var meta = System.IO.Path.Combine(payloadDir, "meta", "kube-nginx.json");
        if (!File.Exists(meta))
        {
            return null;
        }

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(meta));
        return doc.RootElement.TryGetProperty("sha256", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
    }

    /// <summary>
    /// Every problem with the staged files <paramref name="files"/> (payload-relative path → sha256): a file that
    /// neither a pinned layout nor another task accounts for; a file whose bytes differ from the ledger; a ledger row
    /// whose artifact is not the one pins.yaml pins (<paramref name="expected"/>); a plain-file artifact whose bytes
    /// are not its pinned sha256; bin/kube-nginx not as meta/kube-nginx.json records (<paramref name="kubeNginxSha256"/>).
    /// </summary>
    public static IReadOnlyList<string> Problems(
        IReadOnlyDictionary<string, string> files, IReadOnlyDictionary<string, Row> ledger,
        IReadOnlyDictionary<string, (Row Row, string? PlainSha256)> expected, string? kubeNginxSha256)
    {
        var problems = new List<string>();
        foreach (var (path, sha) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (!expected.TryGetValue(path, out var pin))
            {
                if (path == "bin/kube-nginx")
                {
                    if (kubeNginxSha256 != sha)
                    {
                        problems.Add($"{path}: sha256 {sha}, but {BuiltHere[path]} records {kubeNginxSha256 ?? "nothing"}");
                    }
                }
                else if (!BuiltHere.ContainsKey(path))
                {
                    problems.Add($"{path}: no pinned layout accounts for it; remove it, or delete the payload directory and re-run Fetch");
                }

                continue;
            }

            var want = $"{pin.Row.Component} {pin.Row.Version} ({pin.Row.Arch}, {pin.Row.Digest})";
            if (!ledger.TryGetValue(path, out var row))
            {
                problems.Add($"{path}: not recorded in {RelativePath} as staged from {want}; re-run Fetch");
            }
            else if (row with { Sha256 = string.Empty } != pin.Row)
            {
                problems.Add($"{path}: staged from {row.Component} {row.Version} ({row.Arch}, {row.Digest}), but pins.yaml pins {want}; re-run Fetch");
            }
            else if (row.Sha256 != sha)
            {
                problems.Add($"{path}: sha256 {sha}, but it was staged as {row.Sha256} from {want}");
            }
            else if (pin.PlainSha256 is { } plain && plain != sha)
            {
                problems.Add($"{path}: sha256 {sha}, but pins.yaml pins {want} as {plain}");
            }
        }

        return problems;
    }
}
