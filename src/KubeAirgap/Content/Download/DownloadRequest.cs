namespace KubeAirgap.Content.Download;

/// <summary>
/// One artifact to download: tried at each URL in order (mirrors first, upstream last) until one gives bytes with
/// <see cref="Expected"/> digest.
/// </summary>
/// <param name="Name">How messages and progress name it, e.g. <c>etcd 3.6.14 (amd64)</c>.</param>
/// <param name="Urls">Candidate URLs, in the order they are tried.</param>
/// <param name="Expected">The digest the bytes must have (sha256 or sha512).</param>
public sealed record DownloadRequest(string Name, IReadOnlyList<Uri> Urls, Digest Expected)
{
    /// <summary>Called for every HTTP request before it is sent (e.g. to add a bearer or basic Authorization header).</summary>
    public Func<HttpRequestMessage, CancellationToken, ValueTask>? ConfigureRequest { get; init; }

    /// <summary>
    /// Size in bytes when known in advance (an OCI descriptor's size): shown by progress, and a hard limit: a body
    /// longer than this is refused while it streams.
    /// </summary>
    public long? Size { get; init; }

    /// <summary>A hard limit when <see cref="Size"/> is unknown; by default <see cref="DownloadOptions.MaxArtifactBytes"/>.</summary>
    public long? MaxBytes { get; init; }
}

/// <summary>A verified file in the cache and where it came from (<see cref="Source"/> is null when it was already cached).</summary>
public sealed record DownloadResult(string Name, string Path, Digest Digest, long Size, Uri? Source)
{
    public bool FromCache => Source is null;
}

/// <summary>One URL tried and what happened (every failure is reported in the final error).</summary>
public sealed record DownloadAttempt(Uri Url, string Outcome);
