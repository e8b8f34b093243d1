using KubeAirgap.Fetch.Pgp;

namespace KubeAirgap.Fetch;

/// <summary>A verified artifact in the cache; <see cref="Source"/> is null when it came from the cache.</summary>
public sealed record FetchedArtifact(FetchItem Item, string Path, long Size, Uri? Source)
{
    /// <summary>For signed artifacts (the nginx source): the verified signature kept in the cache, and who made it.</summary>
    public string? SignaturePath { get; init; }

    public PgpKeyInfo? Signer { get; init; }
}

/// <summary>Everything a Fetch run produced, by artifact.</summary>
public sealed record FetchResult(IReadOnlyList<FetchedArtifact> Artifacts)
{
    public FetchedArtifact Of(FetchItem item) => Artifacts.First(a => a.Item == item);
}

/// <summary>The cache lacks artifacts and the build is offline: lists every one of them.</summary>
public sealed class OfflineMissingException(IReadOnlyList<string> missing)
    : Exception($"--offline: {missing.Count} artifact(s) are not in the cache; run Fetch once with network access (or from a mirror):"
        + Environment.NewLine + string.Join(Environment.NewLine, missing.Select(m => "  " + m)))
{
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>Several artifacts failed; each failure is listed in full.</summary>
public sealed class FetchFailedException(IReadOnlyList<Exception> failures)
    : Exception($"{failures.Count} artifact(s) could not be fetched:" + Environment.NewLine
        + string.Join(Environment.NewLine, failures.Select(f => f.Message)))
{
    public IReadOnlyList<Exception> Failures { get; } = failures;
}

/// <summary>
/// Host names did not resolve: the build has no network (or no DNS). Says which hosts, how many artifacts that left
/// unfetched, and what to do, in a few lines instead of one failure per URL.
/// </summary>
public sealed class NetworkUnavailableException(IReadOnlyDictionary<string, string> hosts, int failedArtifacts, string cacheDirectory)
    : Exception(Format(hosts, failedArtifacts, cacheDirectory))
{
    public IReadOnlyCollection<string> Hosts { get; } = hosts.Keys.Order(StringComparer.Ordinal).ToList();

    public static string Hint(string cacheDirectory) =>
        $"No network? Build with --offline from a filled cache ({cacheDirectory}), point cake.config [Mirrors] Map (and [Registries] Mirrors) "
        + "at an internal mirror, or run the whole pipeline offline against local fixtures with --target=Demo.";

    private static string Format(IReadOnlyDictionary<string, string> hosts, int failedArtifacts, string cacheDirectory)
    {
        var names = hosts.Keys.Order(StringComparer.Ordinal).ToList();
        var shown = string.Join(", ", names.Take(4)) + (names.Count > 4 ? $" and {names.Count - 4} more" : string.Empty);
        var reason = hosts[names[0]];
        return $"cannot reach {shown}: the host name could not be resolved ({reason}); {failedArtifacts} artifact(s) not fetched, "
            + "and no other URL on those hosts was tried." + Environment.NewLine + Hint(cacheDirectory);
    }
}
