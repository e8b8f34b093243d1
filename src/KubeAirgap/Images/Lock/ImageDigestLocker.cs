using System.Globalization;
using KubeAirgap.Images.Registry;
using KubeAirgap.Pins;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Images.Lock;

/// <summary>One image the locker looked at: the digest its tag resolved to (and on which registry), or why not.</summary>
public sealed record ImageLockEntry(string Name, string Version, string Ref, string? Digest, string? Problem)
{
    public string? Registry { get; init; }

    public override string ToString() => Digest is not null ? $"{Ref}: {Digest} (trust on first use, from {Registry} over TLS)" : $"{Ref}: not locked: {Problem}";
}

/// <summary>
/// Trust on first use for images: fills <c>digest: null</c> of pins.yaml's <c>images:</c> with the digest each tag points
/// at now on its upstream registry, over TLS, never through a mirror (<see cref="RegistryClient.ResolveUpstreamAsync"/>:
/// the sha256 of the manifest or index bytes received), and marks it <c>digestSource: tofu &lt;date&gt; from &lt;registry&gt;</c>.
/// pins.yaml is edited line by line (comments and order stay), written to a temp file, re-validated, then renamed.
/// Entries that already have a digest are left alone: a digest is only ever changed by hand.
/// </summary>
public sealed class ImageDigestLocker(RegistryClient client, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <param name="only">When given, only these images (name, version) are resolved; by default every unpinned one.</param>
    public async Task<IReadOnlyList<ImageLockEntry>> LockAsync(string pinsPath, IReadOnlySet<(string Name, string Version)>? only = null,
        CancellationToken cancellationToken = default)
    {
        var pins = PinsLoader.LoadValid(pinsPath);
        var positions = Positions(pinsPath);
        var lines = (await File.ReadAllTextAsync(pinsPath, cancellationToken).ConfigureAwait(false)).Split('\n').ToList();
        var entries = new List<(ImageLockEntry Entry, Position Position)>();
        for (var i = 0; i < pins.Images.Count; i++)
        {
            var image = pins.Images[i];
            if (image.Digest is not null || (only is not null && !only.Contains((image.Name, image.Version))))
            {
                continue;
            }

            try
            {
                var (digest, registry) = await client.ResolveUpstreamAsync(image.Ref, cancellationToken).ConfigureAwait(false);
                entries.Add((new ImageLockEntry(image.Name, image.Version, image.Ref, digest, null) { Registry = registry }, positions[i]));
            }
            catch (RegistryException ex)
            {
                entries.Add((new ImageLockEntry(image.Name, image.Version, image.Ref, null, ex.Message), positions[i]));
            }
        }

        var date = _clock.GetUtcNow().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        // bottom-up, so that an inserted line does not move the lines still to edit
        foreach (var (entry, position) in entries.Where(e => e.Entry.Digest is not null).OrderByDescending(e => e.Position.DigestLine))
        {
            var text = lines[position.DigestLine];
            var cr = text.EndsWith('\r') ? "\r" : string.Empty;
            var colon = text.IndexOf("digest:", StringComparison.Ordinal);
            var indent = text[..colon];
            lines[position.DigestLine] = text[..(colon + "digest:".Length)] + " " + entry.Digest + cr;
            var source = $"{indent}digestSource: {ImagePin.TofuMarker} {date} from {entry.Registry}{cr}";
            if (position.SourceLine is { } line)
            {
                lines[line] = source;
            }
            else
            {
                lines.Insert(position.DigestLine + 1, source);
            }
        }

        if (entries.Any(e => e.Entry.Digest is not null))
        {
            await PinsWriter.ReplaceAsync(pinsPath, lines, cancellationToken).ConfigureAwait(false);
        }

        return entries.Select(e => e.Entry).ToList();
    }

    /// <summary>Zero-based lines of each image entry's <c>digest:</c> and <c>digestSource:</c>, in file order.</summary>
    private static List<Position> Positions(string pinsPath)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(pinsPath))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        if (!root.Children.TryGetValue(new YamlScalarNode("images"), out var images))
        {
            return [];
        }

        return ((YamlSequenceNode)images).Children.Cast<YamlMappingNode>()
            .Select(m => new Position(
                m.Children.TryGetValue(new YamlScalarNode("digest"), out var d)
                    ? (int)d.Start.Line - 1
                    : throw new FormatException($"{pinsPath}:{m.Start.Line}: an images entry without 'digest:' (write 'digest: null' and 'digestSource: tofu' to have it resolved on first use)"),
                m.Children.Keys.FirstOrDefault(k => k is YamlScalarNode { Value: "digestSource" }) is { } key ? (int)key.Start.Line - 1 : null))
            .ToList();
    }

    private sealed record Position(int DigestLine, int? SourceLine);
}
