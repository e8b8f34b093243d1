using System.Formats.Tar;
using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Text;
using KubeAirgap.Bundle.Manifests;
using KubeAirgap.Bundle.Tar;
using KubeAirgap.Content;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Completeness;
using KubeAirgap.Layout;
using KubeAirgap.Roles;

namespace KubeAirgap.Bundle.Verification;

/// <summary>
/// Opens every tarball of a bundle set offline and proves it complete: the tarball matches the outer SHA256SUMS;
/// the node's directory and what its symlinks (bin, images) reach inside the tarball are its files; every file matches the inner SHA256SUMS and bundle-manifest.json; every binary a unit's ExecStart names is in
/// bin/; every ELF file is for the node's arch (e_machine, <see cref="ElfArch"/>, as Bundle checks); every image a manifest or config names is in images/images.oci.tar, complete for the node's arch, under the name
/// containerd looks it up by (name@digest when pinned): the same check, <see cref="CompletenessCheck"/>, as the Images task's.
/// In the fleet layout the node tarball's links reach into its payload tarball, which must match SHA256SUMS and the pin
/// in the node's lib/layout.env.
/// </summary>
public static partial class BundleVerifier
{
    public sealed record NodeReport(string Node, string Bundle, long Size, int Files, int Images, int Secrets, IReadOnlyList<string> Problems);

    /// <param name="pins">When given, every binary that pins.yaml pins as a plain file must have its pinned sha256.</param>
    public static IReadOnlyList<NodeReport> Verify(string outputDir, Pins.PinsFile? pins = null)
    {
        var manifestPath = Path.Combine(outputDir, BundleRequest.ManifestName);
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"{manifestPath} not found: run the Bundle task first", manifestPath);
        }

        var set = JsonFile.Read<BundleSetManifest>(manifestPath);
        var outer = Sha256Sums.Parse(File.ReadAllText(Path.Combine(outputDir, BundleRequest.SumsName)), Path.Combine(outputDir, BundleRequest.SumsName));
        var payloads = new PayloadReads(outputDir, set, outer);
        return set.Nodes.Select(n => VerifyNode(outputDir, set, n, outer, pins, payloads)).ToList();
    }

    /// <param name="Machine">ELF e_machine, null when the file is not ELF (or is text or the image archive).</param>
    private sealed record Item(string Sha256, long Size, int Mode, byte[]? Text, OciArchiveContents? Archive, ushort? Machine = null);

    private static NodeReport VerifyNode(string dir, BundleSetManifest set, BundleNode node, IReadOnlyDictionary<string, string> outer, Pins.PinsFile? pins, PayloadReads payloads)
    {
        var problems = new List<string>();
        var path = Path.Combine(dir, node.Bundle);
        if (!File.Exists(path))
        {
            return new NodeReport(node.Name, node.Bundle, 0, 0, 0, 0, [$"{node.Bundle}: missing"]);
        }

        var sha = Sha256Hex.OfFile(path);
        if (!outer.TryGetValue(node.Bundle, out var listed))
        {
            problems.Add($"{node.Bundle}: not listed in SHA256SUMS");
        }
        else if (listed != sha)
        {
            problems.Add($"{node.Bundle}: sha256 {sha}, SHA256SUMS says {listed}");
        }

        var (files, links) = Read(path, node.Bundle, problems);
        var payload = payloads.AddTo(node, files, links, problems);
        var items = NodeView($"{set.Cluster}-{node.Name}", files, links, problems);
        var archive = items.GetValueOrDefault("images/images.oci.tar")?.Archive;
        CheckInnerSums(items, problems);
        CheckPayloadPin(node, payload, items, problems);
        CheckTestBundle(set, node, items, problems);
        CheckManifest(node, items, problems);
        CheckUnits(items, problems);
        CheckElfArch(items, node.Arch, problems);
        if (pins is not null)
        {
            CheckPins(set, node, items, pins, problems);
        }

        var named = CheckImages(items, archive, node.Arch, problems);
        return new NodeReport(node.Name, node.Bundle, new FileInfo(path).Length, items.Count, Math.Max(named, archive?.Names.Count ?? 0),
            items.Values.Count(i => (i.Mode & 0x3F) == 0), problems);
    }

    /// <summary>Every regular file (by its full name in the tarball) and every symlink (name → target).</summary>
    private static (Dictionary<string, Item> Files, Dictionary<string, string> Links) Read(string path, string bundle, List<string> problems)
    {
        var files = new Dictionary<string, Item>(StringComparer.Ordinal);
        var links = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            var header = new byte[ElfArch.HeaderBytes];
            while (reader.GetNextEntry() is { } entry)
            {
                if (UnsafeMember(entry) is { } unsafeMember)
                {
                    problems.Add(unsafeMember);
                    continue;
                }

                if (entry.EntryType == TarEntryType.SymbolicLink)
                {
                    links[entry.Name] = entry.LinkName;
                    continue;
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    continue;
                }

                var rel = entry.Name[(entry.Name.IndexOf('/', StringComparison.Ordinal) + 1)..];
                using var hashing = new HashingStream(entry.DataStream);
                byte[]? text = null;
                OciArchiveContents? archive = null;
                ushort? machine = null;
                if (rel == "images/images.oci.tar")
                {
                    archive = ReadArchive(hashing, $"{bundle}:{entry.Name}", problems);
                }
                else if (IsText(rel))
                {
                    using var copy = new MemoryStream();
                    hashing.CopyTo(copy);
                    text = copy.ToArray();
                }
                else
                {
                    machine = ElfArch.MachineOf(header.AsSpan(0, hashing.ReadAtLeast(header, header.Length, throwOnEndOfStream: false)));
                }

                files[entry.Name] = new Item(hashing.Finish(), entry.Length, (int)entry.Mode, text, archive, machine);
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            problems.Add($"{bundle}: unreadable ({e.Message})");
        }

        return (files, links);
    }

    /// <summary>
    /// Why a member must not be in a bundle, or null: an absolute name or one with a <c>..</c> component (it would be
    /// written outside the extraction directory), a hard link (it could name any file on the node, /etc/shadow
    /// included), a device or FIFO, or any type other than file, folder and symlink.
    /// </summary>
    internal static string? UnsafeMember(TarEntry entry)
    {
        var name = entry.Name;
        if (name.StartsWith('/'))
        {
            return $"{name}: absolute member name";
        }

        if (name.Split('/').Contains(".."))
        {
            return $"{name}: member name with a '..' component";
        }

        return entry.EntryType switch
        {
            TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.Directory or TarEntryType.SymbolicLink => null,
            TarEntryType.HardLink => $"{name}: hard link to {entry.LinkName}",
            TarEntryType.CharacterDevice or TarEntryType.BlockDevice => $"{name}: device node",
            TarEntryType.Fifo => $"{name}: FIFO",
            _ => $"{name}: member of type {entry.EntryType}, not a file, folder or symlink",
        };
    }

    /// <summary>Every binary whose pin is a plain file (not an archive) must have the sha256 pins.yaml gives it for the node's arch.</summary>
    private static void CheckPins(BundleSetManifest set, BundleNode node, Dictionary<string, Item> items, Pins.PinsFile pins, List<string> problems)
    {
        var roles = node.Roles.Where(NodeRoles.ByName.ContainsKey).Select(r => NodeRoles.ByName[r]).Order().ToList();
        var key = new Layout.PayloadKey(node.Arch, roles);
        foreach (var (path, pin) in PayloadLedger.Expected(pins, set.KubernetesVersion, key).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (pin.PlainSha256 is { } want && items.TryGetValue(path, out var item) && item.Sha256 != want)
            {
                problems.Add($"{path}: sha256 {item.Sha256}, pins.yaml pins {pin.Row.Component} {pin.Row.Version} ({pin.Row.Arch}) as {want}");
            }
        }
    }

    /// <summary>
    /// The files as seen from <c>&lt;top&gt;/</c>, by path below it: its own files, and through each of its symlinks
    /// (resolved inside the tarball) the files of the directory it points to. A symlink that leads out of the tarball,
    /// or to nothing in it, and a file reached neither way, are problems.
    /// </summary>
    private static Dictionary<string, Item> NodeView(string top, Dictionary<string, Item> files, Dictionary<string, string> links, List<string> problems)
    {
        var items = new Dictionary<string, Item>(StringComparer.Ordinal);
        var reached = new List<string>();
        foreach (var (name, target) in links.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(top + "/", StringComparison.Ordinal))
            {
                problems.Add($"{name}: outside {top}/");
                continue;
            }

            var rel = name[(top.Length + 1)..];
            var dest = Resolve(name[..name.LastIndexOf('/')], target);
            if (dest is null)
            {
                problems.Add($"{rel}: symlink to {target} leads outside the tarball");
                continue;
            }

            var under = files.Where(f => f.Key.StartsWith(dest + "/", StringComparison.Ordinal)).ToList();
            if (files.TryGetValue(dest, out var single))
            {
                items[rel] = single;
            }
            else if (under.Count == 0)
            {
                problems.Add($"{rel}: symlink to {target}, which is not in the tarball");
                continue;
            }

            foreach (var (file, item) in under)
            {
                items[$"{rel}/{file[(dest.Length + 1)..]}"] = item;
            }

            reached.Add(dest);
        }

        foreach (var (name, item) in files)
        {
            if (name.StartsWith(top + "/", StringComparison.Ordinal))
            {
                if (!items.TryAdd(name[(top.Length + 1)..], item))
                {
                    problems.Add($"{name[(top.Length + 1)..]}: in the tarball both as a file and through a symlink");
                }
            }
            else if (!reached.Any(r => name == r || name.StartsWith(r + "/", StringComparison.Ordinal)))
            {
                problems.Add($"{name}: outside {top}/ and not reached through any of its symlinks");
            }
        }

        return items;
    }

    /// <summary>The archive path <paramref name="target"/> names, relative to the directory <paramref name="from"/>; null when it is absolute or climbs out of the archive.</summary>
    internal static string? Resolve(string from, string target)
    {
        if (target.StartsWith('/'))
        {
            return null;
        }

        var parts = new List<string>(from.Split('/', StringSplitOptions.RemoveEmptyEntries));
        foreach (var part in target.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
            }
            else if (part != ".")
            {
                parts.Add(part);
            }
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }

    private static bool IsText(string rel) =>
        rel is "SHA256SUMS" or "lib/layout.env" or "lib/files.tsv" or "manifest.json"
        || rel.StartsWith("etc/", StringComparison.Ordinal) || rel.StartsWith("addons/", StringComparison.Ordinal) || rel.StartsWith("var/", StringComparison.Ordinal);

    private static void CheckInnerSums(Dictionary<string, Item> items, List<string> problems)
    {
        if (items.GetValueOrDefault("SHA256SUMS")?.Text is not { } text)
        {
            problems.Add("SHA256SUMS: missing from the bundle");
            return;
        }

        var sums = Sha256Sums.Parse(Encoding.UTF8.GetString(text), "SHA256SUMS");
        foreach (var (file, expected) in sums)
        {
            if (!items.TryGetValue(file, out var item))
            {
                problems.Add($"{file}: listed in SHA256SUMS, missing from the bundle");
            }
            else if (item.Sha256 != expected)
            {
                problems.Add($"{file}: sha256 {item.Sha256}, SHA256SUMS says {expected}");
            }
        }

        foreach (var file in items.Keys.Where(k => k is not ("SHA256SUMS" or "SHA256SUMS.sig") && !sums.ContainsKey(k)))
        {
            problems.Add($"{file}: in the bundle but not in SHA256SUMS");
        }
    }

    private static void CheckManifest(BundleNode node, Dictionary<string, Item> items, List<string> problems)
    {
        foreach (var f in node.Files)
        {
            if (!items.TryGetValue(f.Path, out var item))
            {
                problems.Add($"{f.Path}: in bundle-manifest.json, missing from the bundle");
            }
            else if (item.Sha256 != f.Sha256 || item.Size != f.Size || "0" + Convert.ToString(item.Mode, 8) != f.Mode)
            {
                problems.Add($"{f.Path}: differs from bundle-manifest.json");
            }
        }

        if (node.Files.Count != items.Count)
        {
            problems.Add($"bundle-manifest.json lists {node.Files.Count} files, the bundle holds {items.Count}");
        }
    }

    /// <summary>Every ExecStart binary under the bundle's bin dirs must be bundled.</summary>
    private static void CheckUnits(Dictionary<string, Item> items, List<string> problems)
    {
        var env = items.GetValueOrDefault("lib/layout.env")?.Text is { } e ? Encoding.UTF8.GetString(e) : string.Empty;
        var binDir = EnvValue(env, "KA_BIN_DIR");
        var cniDir = EnvValue(env, "KA_CNI_BIN_DIR");
        foreach (var (rel, item) in items.Where(i => i.Key.StartsWith("etc/systemd/system/", StringComparison.Ordinal) && i.Key.EndsWith(".service", StringComparison.Ordinal)))
        {
            foreach (Match m in ExecStart().Matches(Encoding.UTF8.GetString(item.Text ?? [])))
            {
                var binary = m.Groups[1].Value.TrimStart('-', '@', '+', '!');
                string? bundled = binDir.Length > 0 && binary.StartsWith(binDir + "/", StringComparison.Ordinal) ? "bin/" + binary[(binDir.Length + 1)..]
                    : cniDir.Length > 0 && binary.StartsWith(cniDir + "/", StringComparison.Ordinal) ? "bin/cni/" + binary[(cniDir.Length + 1)..]
                    : null;
                if (bundled is not null && !items.ContainsKey(bundled))
                {
                    problems.Add($"{rel}: ExecStart runs {binary}, but {bundled} is not in the bundle");
                }
            }
        }
    }

    /// <summary>Every ELF file must be for the node's arch: a binary swapped for another arch's fails here even when every sum matches.</summary>
    private static void CheckElfArch(Dictionary<string, Item> items, string arch, List<string> problems) =>
        problems.AddRange(items.OrderBy(i => i.Key, StringComparer.Ordinal).Select(i => ElfArch.Mismatch(i.Key, i.Value.Machine, arch)).OfType<string>());

    /// <summary>The archive read and verified (every blob hashes to its name), or null with the reason as a problem.</summary>
    private static OciArchiveContents? ReadArchive(Stream stream, string where, List<string> problems)
    {
        try
        {
            return OciArchiveContents.Read(stream, where);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            problems.Add($"{where}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Every image named in etc/, var/ or addons/ (image: X, sandbox_image = "X") must be in the archive under the
    /// name containerd looks it up by, complete for <paramref name="arch"/>; returns how many distinct images are named.
    /// </summary>
    private static int CheckImages(Dictionary<string, Item> items, OciArchiveContents? archive, string arch, List<string> problems)
    {
        var uses = new List<ImageUse>();
        foreach (var (rel, item) in items.Where(i => i.Value.Text is not null && (i.Key.StartsWith("etc/", StringComparison.Ordinal) || i.Key.StartsWith("addons/", StringComparison.Ordinal) || i.Key.StartsWith("var/", StringComparison.Ordinal))))
        {
            var text = Encoding.UTF8.GetString(item.Text!);
            foreach (Match m in ImageRef().Matches(text))
            {
                var line = 1 + text.AsSpan(0, m.Groups[1].Index).Count('\n');
                uses.Add(new ImageUse(rel, line, m.Groups[1].Value));
            }
        }

        if (archive is null)
        {
            problems.AddRange(uses.Select(u => $"{u.File}:{u.Line}: names image {u.Reference}, but the bundle has no readable images/images.oci.tar"));
        }
        else
        {
            problems.AddRange(CompletenessCheck.Check(uses, archive, arch).Select(d => $"{d.File}:{d.Line}: {d.Message}"));
        }

        return uses.Select(u => u.Reference).Distinct(StringComparer.Ordinal).Count();
    }

    private static string EnvValue(string env, string key) =>
        env.Split('\n').FirstOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..].Trim('\'') ?? string.Empty;

    [GeneratedRegex(@"^\s*ExecStart\s*=\s*(\S+)", RegexOptions.Multiline)]
    private static partial Regex ExecStart();

    [GeneratedRegex(@"(?:^|\s)(?:-\s+)?(?:image|sandbox_image|sandbox)\s*[:=]\s*[""']?([A-Za-z0-9][A-Za-z0-9._/:@-]*)[""']?\s*$", RegexOptions.Multiline)]
    private static partial Regex ImageRef();
}
