namespace KubeAirgap.Content.Download;

/// <summary>Retry and timeout policy of <see cref="VerifiedDownloader"/> (cake.config [Fetch]).</summary>
public sealed record DownloadOptions
{
    /// <summary>Retries per URL after the first attempt (timeouts, resets, 408, 429, 5xx).</summary>
    public int Retries { get; init; } = 4;

    /// <summary>First backoff delay; doubles with jitter on each retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A server's Retry-After is honoured up to this long.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>No response headers, or no body bytes, for this long: the attempt times out (and is retried).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most bytes one artifact may have when its size is not declared (pins.yaml gives checksums, not sizes); a
    /// body that runs past it is refused. A declared size (an OCI blob's descriptor) is the limit instead.
    /// </summary>
    public long MaxArtifactBytes { get; init; } = 2L << 30;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Read/write buffer; memory per download does not grow with file size.</summary>
    public int BufferSize { get; init; } = 1 << 17;
}
