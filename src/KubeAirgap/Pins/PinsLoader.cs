using KubeAirgap.Diagnostics;
using KubeAirgap.Yaml;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Pins;

/// <summary>Reads pins.yaml, reporting unknown fields, missing fields and malformed checksums with their location.</summary>
public static class PinsLoader
{
    private static readonly HashSet<string> LayoutTypes = ["file", "tar.gz", "tgz", "zip", "source"];

    /// <summary>The only modes a pinned file may get on a node: no setuid/setgid/sticky, nothing group- or world-writable.</summary>
    public static readonly IReadOnlyList<string> AllowedModes = ["0644", "0755", "0600"];

    public static PinsFile? Load(string path, DiagnosticBag diagnostics, string? displayName = null) =>
        Read(YamlSource.Load(path, diagnostics, displayName), diagnostics);

    public static PinsFile? Parse(string text, DiagnosticBag diagnostics, string name = "pins.yaml") =>
        Read(YamlSource.Parse(text, name, diagnostics), diagnostics);

    public static PinsFile LoadValid(string path)
    {
        var diagnostics = new DiagnosticBag();
        var pins = Load(path, diagnostics);
        diagnostics.ThrowIfErrors(path);
        return pins!;
    }

    private static PinsFile? Read(YamlSource source, DiagnosticBag diagnostics)
    {
        if (source.Root is null)
        {
            return null;
        }

        var root = source.RootMap(diagnostics);
        var schema = root.Int("schemaVersion", required: true) ?? 0;
        if (schema != 1)
        {
            root.Error(root.LocationOf("schemaVersion"), $"schema version {schema} is not supported (expected 1)");
        }

        var releases = root.Maps("releases").Select(m =>
        {
            var release = new Release(
                m.String("kubernetes", required: true) ?? string.Empty,
                StringMap(m.Map("components")),
                StringMap(m.Map("images")));
            m.Done();
            return release;
        }).ToList();

        var components = root.Maps("components", required: true).Select(m => ReadComponent(m, diagnostics)).ToList();
        var images = root.Maps("images").Select(m =>
        {
            var image = new ImagePin(
                m.String("name", required: true) ?? string.Empty,
                m.String("version", required: true) ?? string.Empty,
                m.String("ref", required: true) ?? string.Empty,
                m.String("digest"),
                m.String("source"))
            {
                DigestSource = m.String("digestSource"),
            };
            if (image.Digest is { } digest && !IsHex(digest.Replace("sha256:", string.Empty, StringComparison.Ordinal), 64))
            {
                m.Error(m.LocationOf("digest"), $"'{digest}' is not a sha256:<64 hex> digest");
            }

            m.Done();
            return image;
        }).ToList();
        root.Done();

        foreach (var duplicate in components.GroupBy(c => (c.Name, c.Version)).Where(g => g.Count() > 1))
        {
            diagnostics.Add(new Diagnostic(Severity.Error, source.File, 0, 0, "components", $"{duplicate.Key.Name} {duplicate.Key.Version} is pinned more than once"));
        }

        return new PinsFile(schema, releases, components, images);
    }

    private static Component ReadComponent(YamlMap m, DiagnosticBag diagnostics)
    {
        var name = m.String("name", required: true) ?? string.Empty;
        var version = m.String("version", required: true) ?? string.Empty;
        var license = m.String("license");
        var layoutMap = m.Map("layout", required: true);
        var type = layoutMap.String("type", required: true) ?? "file";
        if (!LayoutTypes.Contains(type))
        {
            layoutMap.Error(layoutMap.LocationOf("type"), $"'{type}' is not a layout type ({string.Join(", ", LayoutTypes)})");
        }

        var files = layoutMap.Maps("files").Select(f =>
        {
            var file = new LayoutFile(
                f.String("member", required: true) ?? string.Empty,
                f.String("path", required: true) ?? string.Empty,
                f.String("mode", fallback: "0644")!);
            if (!AllowedModes.Contains(file.Mode))
            {
                f.Error(f.LocationOf("mode"), $"'{file.Mode}' is not an allowed file mode (pins accept only {string.Join(", ", AllowedModes)})");
            }

            if (file.Path.StartsWith('/') || file.Path.Split('/').Contains(".."))
            {
                f.Error(f.LocationOf("path"), $"'{file.Path}' must be a relative path inside the bundle");
            }

            f.Done();
            return file;
        }).ToList();
        layoutMap.Done();

        var artifacts = new Dictionary<string, Artifact>(StringComparer.Ordinal);
        var artifactsMap = m.Map("artifacts", required: true);
        foreach (var (arch, node, location) in artifactsMap.Entries())
        {
            var a = artifactsMap.Nested(node, location.Path);
            var sha256 = a.String("sha256");
            var sha512 = a.String("sha512");
            if (sha256 is not null && !IsHex(sha256, 64))
            {
                a.Error(a.LocationOf("sha256"), $"'{sha256}' is not a sha256 (64 lowercase hex digits)");
            }

            if (sha512 is not null && !IsHex(sha512, 128))
            {
                a.Error(a.LocationOf("sha512"), $"'{sha512}' is not a sha512 (128 lowercase hex digits)");
            }

            var url = a.String("url", required: true) ?? string.Empty;
            if (!Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                a.Error(a.LocationOf("url"), $"'{url}' is not an absolute URL");
            }

            Signature? signature = null;
            var sig = a.Map("signature");
            if (sig.Exists)
            {
                signature = new Signature(sig.String("url", required: true) ?? string.Empty, sig.Strings("keys", required: true).Select(k => k.Value).ToList());
                sig.Done();
            }

            if (type == "source" && signature is null)
            {
                a.Error(a.LocationOf("url"), $"{name} {version} ({arch}) is a source artifact without a 'signature:' (url, keys): sources must be verified by their upstream's OpenPGP signature");
            }

            artifacts[arch] = new Artifact(url, sha256, sha512, a.String("source"), signature);
            a.Done();
        }

        m.Done();
        return new Component(name, version, license, new ArchiveLayout(type, files), artifacts);
    }

    private static Dictionary<string, string> StringMap(YamlMap map)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, node, location) in map.Entries())
        {
            if (node is YamlScalarNode { Value: { } value })
            {
                result[key] = value;
            }
            else
            {
                map.Error(location, "expected a version string");
            }
        }

        return result;
    }

    private static bool IsHex(string text, int length) =>
        text.Length == length && text.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
