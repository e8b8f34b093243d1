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
