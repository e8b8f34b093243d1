using System.Globalization;
using System.Security.Cryptography;
using KubeAirgap.Content.Download;
using KubeAirgap.Pins;
using YamlDotNet.RepresentationModel;
using KubeAirgap.Content;

namespace KubeAirgap.Fetch.Lock;

/// <summary>
/// Fills the missing checksums of pins.yaml (<c>sha256: null</c>) from the checksum files upstream publishes next to
/// each artifact (<see cref="ChecksumSources"/>), read from upstream itself over https only: never through a mirror
/// (a mirror is trusted to serve bytes with a known digest, not to say what the digest is). pins.yaml is edited line by
/// line, so comments and order stay; each filled entry's <c>source:</c> names the URL that actually answered. A
/// checksum computed from a bare download (no published one found) is only written when allowed, and then marked as such.
/// </summary>
public sealed class PinsLocker(VerifiedDownloader downloader, TimeProvider? clock = null)
{
    /// <summary>Checksum files are small: anything larger is refused.</summary>
    public const long MaxChecksumFileBytes = 1 << 20;

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <param name="only">When given, only artifacts it accepts (component, arch) are locked.</param>
    public async Task<LockReport> LockAsync(string pinsPath, bool allowDownload, Func<Component, string, bool>? only = null,
        CancellationToken cancellationToken = default)
    {
        var pins = PinsLoader.LoadValid(pinsPath);
        var lines = (await File.ReadAllTextAsync(pinsPath, cancellationToken).ConfigureAwait(false)).Split('\n').ToList();
        var positions = Positions(pinsPath);
        var entries = new List<LockEntry>();
        var edits = new List<(ArtifactPosition Position, LockEntry Entry)>();
        foreach (var component in pins.Components)
        {
            foreach (var (arch, artifact) in component.Artifacts)
            {
                if (artifact.HasChecksum || (only is not null && !only(component, arch)))
                {
                    continue;
                }

                var name = $"{component.Name} {component.Version} ({arch})";
                var entry = await ResolveAsync(name, artifact, allowDownload, cancellationToken).ConfigureAwait(false);
                entries.Add(entry);
                if (entry.Sha256 is not null)
                {
                    edits.Add((positions[(component.Name, component.Version, arch)], entry));
                }
            }
        }

        // bottom-up, so that an inserted source line does not move the lines still to edit
        foreach (var (position, entry) in edits.OrderByDescending(e => e.Position.Sha256Line))
        {
            Edit(lines, position, entry);
        }

        if (entries.Any(e => e.Sha256 is not null))
        {
            await PinsWriter.ReplaceAsync(pinsPath, lines, cancellationToken).ConfigureAwait(false);
        }

        return new LockReport(entries);
    }

    private async Task<LockEntry> ResolveAsync(string name, Artifact artifact, bool allowDownload, CancellationToken cancellationToken)
    {
        var url = new Uri(artifact.Url);
        if (url.Scheme != Uri.UriSchemeHttps)
        {
            return new LockEntry(name, null, null, Computed: false, $"{url} is not https: a checksum is only taken from upstream over TLS");
        }

        var fileName = ChecksumSources.FileName(url);
        var tried = new List<string>();
        foreach (var rule in ChecksumSources.Rules)
        {
            var checksumUrl = rule.ChecksumUrl(url);
            try
            {
                var (bytes, answered) = await downloader.GetSmallAsync($"{name} checksum", [checksumUrl], MaxChecksumFileBytes,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                if (answered.Scheme != Uri.UriSchemeHttps)
                {
                    tried.Add($"{checksumUrl}: redirected to {answered}, which is not https");
                    continue;
                }

                var sha = ChecksumSources.Find(System.Text.Encoding.UTF8.GetString(bytes), fileName);
                if (sha is not null)
                {
                    return new LockEntry(name, sha, $"upstream checksum file {answered}", Computed: false, null);
                }

                tried.Add($"{checksumUrl}: no entry for {fileName}");
            }
            catch (DownloadException e)
            {
                tried.Add($"{checksumUrl}: {string.Join("; ", e.Attempts.Select(a => a.Outcome).Distinct())}");
            }
        }

        if (!allowDownload)
        {
            return new LockEntry(name, null, null, Computed: false,
                "no published checksum found (" + string.Join(" | ", tried) + "); rerun with --lock_download=true to compute it from a download (trust on first use)");
        }

        try
        {
            var (bytes, source) = await downloader.GetSmallAsync(name, [url], 512L << 20, cancellationToken: cancellationToken).ConfigureAwait(false);
            var sha = Sha256Hex.Of(bytes);
            var date = _clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            return new LockEntry(name, sha, $"COMPUTED by Lock from an unverified download of {source} on {date}: upstream publishes no checksum", Computed: true, null);
        }
        catch (DownloadException e)
        {
            return new LockEntry(name, null, null, Computed: false, e.Message);
        }
    }

    private static void Edit(List<string> lines, ArtifactPosition position, LockEntry entry)
    {
        var shaLine = lines[position.Sha256Line];
        var colon = shaLine.IndexOf("sha256:", StringComparison.Ordinal);
        lines[position.Sha256Line] = shaLine[..(colon + "sha256:".Length)] + " " + entry.Sha256 + (shaLine.EndsWith('\r') ? "\r" : string.Empty);
        var indent = shaLine[..colon];
        var sourceText = indent + "source: '" + entry.Source!.Replace("'", "''", StringComparison.Ordinal) + "'";
        if (position.SourceStart is { } start && position.SourceEnd is { } end)
        {
            lines.RemoveRange(start, end - start + 1);
            lines.Insert(start, sourceText);
        }
        else
        {
            lines.Insert(position.Sha256Line + 1, sourceText);
        }
    }

    /// <summary>Zero-based line numbers of each artifact's <c>sha256:</c> and <c>source:</c>.</summary>
    private static Dictionary<(string, string, string), ArtifactPosition> Positions(string pinsPath)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(pinsPath))
        {
            stream.Load(reader);
        }

        var result = new Dictionary<(string, string, string), ArtifactPosition>();
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        foreach (var component in ((YamlSequenceNode)root["components"]).Children.Cast<YamlMappingNode>())
        {
            var name = ((YamlScalarNode)component["name"]).Value!;
            var version = ((YamlScalarNode)component["version"]).Value!;
            foreach (var (archNode, artifactNode) in ((YamlMappingNode)component["artifacts"]).Children)
            {
                var artifact = (YamlMappingNode)artifactNode;
                var arch = ((YamlScalarNode)archNode).Value!;
                if (!artifact.Children.TryGetValue(new YamlScalarNode("sha256"), out var sha))
                {
                    continue;
                }

                artifact.Children.TryGetValue(new YamlScalarNode("source"), out var source);
                var sourceKey = artifact.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "source" });
                var endLine = source is null ? (int?)null : (int)(source.End.Column == 1 ? source.End.Line - 2 : source.End.Line - 1);
                result[(name, version, arch)] = new ArtifactPosition(
                    (int)sha.Start.Line - 1,
                    sourceKey is null ? null : (int)sourceKey.Start.Line - 1,
                    endLine);
            }
        }

        return result;
    }

    private sealed record ArtifactPosition(int Sha256Line, int? SourceStart, int? SourceEnd);
}

/// <summary>One checksum Lock looked for: filled (and from where) or why not.</summary>
public sealed record LockEntry(string Name, string? Sha256, string? Source, bool Computed, string? Problem);

public sealed record LockReport(IReadOnlyList<LockEntry> Entries)
{
    public IEnumerable<LockEntry> Filled => Entries.Where(e => e.Sha256 is not null);

    public IEnumerable<LockEntry> Unfilled => Entries.Where(e => e.Sha256 is null);

    public IEnumerable<string> Lines() => Entries.Select(e => e switch
    {
        { Sha256: null } => $"NOT FILLED {e.Name}: {e.Problem}",
        { Computed: true } => $"filled {e.Name} = {e.Sha256} WARNING: {e.Source}",
        _ => $"filled {e.Name} = {e.Sha256} from {e.Source}",
    });
}
