using KubeAirgap.Images.Registry;
using KubeAirgap.Pins;
using YamlDotNet.RepresentationModel;

namespace KubeAirgap.Images.Lock;

/// <summary>One image the locker looked at: the digest its tag resolved to, or why not.</summary>
public sealed record ImageLockEntry(string Name, string Version, string Ref, string? Digest, string? Problem)
{
    public override string ToString() => Digest is not null ? $"{Ref}: {Digest}" : $"{Ref}: not locked: {Problem}";
}

/// <summary>
/// Fills <c>digest: null</c> of pins.yaml's <c>images:</c> with the digest each tag points at now
/// (<see cref="RegistryClient.ResolveDigestAsync"/>: the index digest for a multi-arch image). pins.yaml is edited
/// line by line (comments and order stay), written to a temp file, re-validated, then renamed. Entries that
/// already have a digest are left alone: a digest is only ever changed by hand.
/// </summary>
public sealed class ImageDigestLocker(RegistryClient client)
{
    public async Task<IReadOnlyList<ImageLockEntry>> LockAsync(string pinsPath, CancellationToken cancellationToken = default)
    {
        var pins = PinsLoader.LoadValid(pinsPath);
        var digestLines = DigestLines(pinsPath);
        var lines = (await File.ReadAllTextAsync(pinsPath, cancellationToken).ConfigureAwait(false)).Split('\n').ToList();
        var entries = new List<ImageLockEntry>();
        for (var i = 0; i < pins.Images.Count; i++)
        {
            var image = pins.Images[i];
            if (image.Digest is not null)
            {
                continue;
            }

            try
            {
                var digest = await client.ResolveDigestAsync(image.Ref, cancellationToken).ConfigureAwait(false);
                entries.Add(new ImageLockEntry(image.Name, image.Version, image.Ref, digest, null));
                var line = digestLines[i];
                var text = lines[line];
                var colon = text.IndexOf("digest:", StringComparison.Ordinal);
                lines[line] = text[..(colon + "digest:".Length)] + " " + digest + (text.EndsWith('\r') ? "\r" : string.Empty);
            }
            catch (RegistryException ex)
            {
                entries.Add(new ImageLockEntry(image.Name, image.Version, image.Ref, null, ex.Message));
            }
        }

        if (entries.Any(e => e.Digest is not null))
        {
            await PinsWriter.ReplaceAsync(pinsPath, lines, cancellationToken).ConfigureAwait(false);
        }

        return entries;
    }

    /// <summary>Zero-based line of each image entry's <c>digest:</c>, in file order.</summary>
    private static List<int> DigestLines(string pinsPath)
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
            .Select(m => m.Children.TryGetValue(new YamlScalarNode("digest"), out var d)
                ? (int)d.Start.Line - 1
                : throw new FormatException($"{pinsPath}:{m.Start.Line}: an images entry without 'digest:' (write 'digest: null' to have it locked)"))
            .ToList();
    }
}
