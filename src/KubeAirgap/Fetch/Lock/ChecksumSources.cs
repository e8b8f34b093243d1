namespace KubeAirgap.Fetch.Lock;

/// <summary>
/// Where upstreams publish checksums next to their artifacts (data, tried in order by <see cref="PinsLocker"/>):
/// dl.k8s.io, CNI plugins and crictl publish <c>&lt;file&gt;.sha256</c>, containerd <c>&lt;file&gt;.sha256sum</c>,
/// etcd a <c>SHA256SUMS</c> list in the release, runc a <c>runc.sha256sum</c> list.
/// </summary>
public static class ChecksumSources
{
    public sealed record Rule(string Name, Func<Uri, Uri> ChecksumUrl);

    public static readonly IReadOnlyList<Rule> Rules =
    [
        new("<file>.sha256", u => new Uri(u + ".sha256")),
        new("<file>.sha256sum", u => new Uri(u + ".sha256sum")),
        new("SHA256SUMS", u => new Uri(u, "SHA256SUMS")),
        new("<name>.sha256sum", u => new Uri(u, FileName(u).Split('.')[0] + ".sha256sum")),
        new("sha256sum.txt", u => new Uri(u, "sha256sum.txt")),
    ];

    public static string FileName(Uri url) => url.Segments[^1];

    /// <summary>
    /// The sha256 for <paramref name="fileName"/> in a checksum file: either a single bare digest (optionally followed by
    /// a name) or <c>sha256sum</c> lines (<c>&lt;hex&gt;  [*./]name</c>). Null when it has no entry for that file.
    /// </summary>
    public static string? Find(string text, string fileName)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith('#')).ToList();
        foreach (var line in lines)
        {
            var parts = line.Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (!IsSha256(parts[0]))
            {
                continue;
            }

            if (parts.Length == 1)
            {
                return lines.Count == 1 ? parts[0].ToLowerInvariant() : null;
            }

            var name = parts[1].TrimStart('*');
            if (name.StartsWith("./", StringComparison.Ordinal))
            {
                name = name[2..];
            }

            if (name == fileName || name.EndsWith("/" + fileName, StringComparison.Ordinal))
            {
                return parts[0].ToLowerInvariant();
            }
        }

        return null;
    }

    private static bool IsSha256(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigit);
}
