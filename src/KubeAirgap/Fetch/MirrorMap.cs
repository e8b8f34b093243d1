namespace KubeAirgap.Fetch;

/// <summary>
/// Internal mirrors of upstream download sites (cake.config <c>[Mirrors]</c>): each rule maps an upstream URL prefix to
/// a mirror base; the candidates for a URL are its mirrors in the order written, then the upstream URL itself unless
/// <see cref="Upstream"/> is false (a strictly air-gapped CI).
/// </summary>
/// <example><c>Map=https://dl.k8s.io/ -> https://nexus.corp/dl-k8s/, https://github.com/ -> https://nexus.corp/github/</c></example>
public sealed record MirrorMap(IReadOnlyList<MirrorRule> Rules, bool Upstream = true)
{
    public static readonly MirrorMap None = new([]);

    /// <summary>Parses <c>prefix -> mirror</c> rules separated by commas (or newlines).</summary>
    public static MirrorMap Parse(string? map, bool upstream = true)
    {
        var rules = new List<MirrorRule>();
        foreach (var part in (map ?? string.Empty).Split([',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var arrow = part.Split("->", StringSplitOptions.TrimEntries);
            if (arrow.Length != 2 || !Uri.TryCreate(arrow[0], UriKind.Absolute, out _) || !Uri.TryCreate(arrow[1], UriKind.Absolute, out _))
            {
                throw new FormatException($"[Mirrors] Map: '{part}' is not 'https://upstream/prefix/ -> https://mirror/base/'");
            }

            rules.Add(new MirrorRule(arrow[0], arrow[1]));
        }

        return new MirrorMap(rules, upstream);
    }

    /// <summary>The URLs to try for <paramref name="upstream"/>, in order (empty when no rule matches and upstream is off).</summary>
    public IReadOnlyList<Uri> Candidates(string upstream)
    {
        var result = Rules.Where(r => upstream.StartsWith(r.Prefix, StringComparison.Ordinal))
            .Select(r => new Uri(r.Mirror + upstream[r.Prefix.Length..]))
            .ToList();
        if (Upstream)
        {
            result.Add(new Uri(upstream));
        }

        return result.Distinct().ToList();
    }
}

public sealed record MirrorRule(string Prefix, string Mirror);
