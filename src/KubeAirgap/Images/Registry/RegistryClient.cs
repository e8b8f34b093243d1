using System.Net;
using System.Net.Http.Headers;
using KubeAirgap.Content.Download;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Oci;
using KubeAirgap.Content;

namespace KubeAirgap.Images.Registry;

/// <summary>
/// An OCI distribution (registry v2) client on HttpClient, for pulling: manifests and blobs by digest, verified
/// while they stream. Tries each mirror of a registry before the registry itself; authenticates from the
/// <c>/v2/</c> ping's challenge (anonymous or credentialed bearer tokens, basic auth); retries 429 (after its
/// Retry-After), 5xx and dropped connections. Blobs go through the fetch stage's <see cref="VerifiedDownloader"/>
/// into its <see cref="ArtifactCache"/> (mirrors in order, Range resume, digest checked while streaming).
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    /// <summary>Manifests larger than this are refused (registries cap them at 4 MiB too).</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly RegistryOptions _options;
    private readonly TimeProvider _time;
    private readonly ArtifactCache _cache;
    private readonly VerifiedDownloader _downloader;
    private readonly ByteCounter _counter;
    private readonly RegistryAuthHandler _auth;
    private long _bytesDownloaded;

    /// <param name="options">Registries: mirrors, plain-HTTP policy, credentials, retries.</param>
    /// <param name="cache">Where verified blobs and manifests are kept.</param>
    /// <param name="downloads">The blob downloader's policy (the Fetch stage's <c>[Fetch]</c> settings); by default derived from <paramref name="options"/>.</param>
    /// <param name="time">The clock retries wait on.</param>
    /// <param name="transport">The HTTP handler under auth and retries (tests inject one that trusts a test CA); by default a SocketsHttpHandler.</param>
    public RegistryClient(RegistryOptions options, ArtifactCache cache, DownloadOptions? downloads = null, TimeProvider? time = null,
        HttpMessageHandler? transport = null)
    {
        _options = options;
        _cache = cache;
        _time = time ?? TimeProvider.System;
        _auth = new RegistryAuthHandler(options, transport ?? new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = downloads?.ConnectTimeout ?? TimeSpan.FromSeconds(15),
            AllowAutoRedirect = false,
        });
        _http = new HttpClient(_auth)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("kube-airgap", "1"));
        _downloader = new VerifiedDownloader(cache, downloads ?? new DownloadOptions
        {
            Retries = Math.Max(0, options.MaxAttempts - 1),
            RetryDelay = options.BaseDelay,
            MaxRetryAfter = options.MaxRetryAfter,
        }, _http);
        _counter = new ByteCounter(this);
    }

    public ArtifactCache Cache => _cache;

    /// <summary>Hosts that did not resolve in this run (shared with blob downloads).</summary>
    public HostFailures Hosts => _downloader.Hosts;

    /// <summary>Where blob downloads report progress (besides the byte count); null for none.</summary>
    public IDownloadProgress? Progress { get; set; }

    /// <summary>Bytes of manifests and blobs received so far (what a caller reports as downloaded).</summary>
    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    /// <summary>Called after each retry with what failed and how long the client waits; for logging.</summary>
    public Action<string>? OnRetry { get; set; }

    /// <summary>
    /// Resolves <paramref name="reference"/> (e.g. <c>registry.k8s.io/pause:3.10.2</c>) to the digest of the manifest
    /// or index its tag points at now, for trust on first use: asked of the upstream registry only (never a mirror,
    /// which could answer anything), only over TLS, and the digest is the sha256 of the bytes received (the
    /// registry's <c>Docker-Content-Digest</c> must agree when sent, but is never taken on its word).
    /// </summary>
    /// <returns>The digest and the registry that answered.</returns>
    public async Task<(string Digest, string Registry)> ResolveUpstreamAsync(string reference, CancellationToken cancellationToken = default)
    {
        var image = ImageReference.Parse(reference);
        ThrowIfOffline($"resolving {reference}");
        var upstream = (_options with { Mirrors = new Dictionary<string, IReadOnlyList<Uri>>() }).EndpointsFor(image.Registry)[^1];
        var tls = new RegistryEndpoint(image.Registry, new Uri($"https://{upstream.BaseUri.Authority}"), upstream.CredentialKey, IsMirror: false);
        if (_downloader.Hosts.ReasonToSkip(tls.BaseUri) is { } skip)
        {
            throw new RegistryException($"resolving {reference}: {skip}");
        }

        try
        {
            var manifest = await ManifestFromAsync(tls, image, image.ManifestReference, cancellationToken).ConfigureAwait(false);
            return (manifest.Digest, tls.BaseUri.Authority);
        }
        catch (HttpRequestException ex)
        {
            _downloader.Hosts.Record(tls.BaseUri, ex);
            throw new RegistryException($"resolving {reference} on {tls.BaseUri}: {ex.Message}", ex);
        }
    }

    /// <summary>The digest <see cref="ResolveUpstreamAsync"/> finds (the upstream registry over TLS).</summary>
    public async Task<string> ResolveDigestAsync(string reference, CancellationToken cancellationToken = default) =>
        (await ResolveUpstreamAsync(reference, cancellationToken).ConfigureAwait(false)).Digest;

    /// <summary>
    /// Fetches a manifest or index by tag or digest. By digest: the bytes must hash to it. By tag: they must hash
    /// to the registry's <c>Docker-Content-Digest</c> when it sends one.
    /// </summary>
    public Task<ManifestDocument> GetManifestAsync(ImageReference image, string reference, CancellationToken cancellationToken = default)
    {
        if (!reference.StartsWith(Content.Digest.Sha256Prefix, StringComparison.Ordinal) && image.Digest is null && _options.RequireDigests)
        {
            throw new RegistryException($"{image}: not pinned by digest; a tag is only resolved on the upstream registry (trust on first use)");
        }

        return OnEndpointsAsync(image, $"manifest {image.Name}:{reference}", (endpoint, ct) => ManifestFromAsync(endpoint, image, reference, ct), cancellationToken);
    }

    private async Task<ManifestDocument> ManifestFromAsync(RegistryEndpoint endpoint, ImageReference image, string reference, CancellationToken ct)
    {
        var byDigest = reference.StartsWith(Content.Digest.Sha256Prefix, StringComparison.Ordinal);
        if (byDigest && !Content.Digest.IsSha256(reference))
        {
            throw new RegistryException($"{image.Name}: '{reference}' is not a valid sha256 digest; refused");
        }

        var url = new Uri(endpoint.BaseUri, $"/v2/{image.Repository}/manifests/{reference}");
        using var response = await SendAsync(endpoint, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var type in MediaTypes.AcceptedManifests)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            }

            return request;
        }, ct).ConfigureAwait(false);
        EnsureSuccess(response, url);
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
        {
            throw new RegistryException($"{url}: manifest of {response.Content.Headers.ContentLength} bytes is larger than {MaxManifestBytes}");
        }

        // the cap holds for chunked bodies too, and the whole body must arrive within the timeout
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        byte[] bytes;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            bytes = await BoundedReads.ReadAllAsync(body, MaxManifestBytes, $"{url}: manifest", _options.Timeout, timeout.Token).ConfigureAwait(false);
        }
        catch (BodyTooLargeException ex)
        {
            throw new RegistryException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw new RegistryException($"{url}: manifest body not complete within {_options.Timeout.TotalSeconds:0.#}s", ex);
        }

        Interlocked.Add(ref _bytesDownloaded, bytes.LongLength);
        var actual = Content.Digest.Of(bytes).ToString();
        var expected = byDigest
            ? reference
            : response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (expected is not null && expected != actual)
        {
            throw new RegistryException($"{url}: manifest digest mismatch: expected {expected}, got {actual} ({bytes.Length} bytes)");
        }

        var mediaType = ManifestDocument.DetectMediaType(bytes, response.Content.Headers.ContentType?.MediaType);
        if (!MediaTypes.IsIndex(mediaType) && !MediaTypes.IsManifest(mediaType))
        {
            throw new RegistryException($"{url}: unsupported manifest media type '{mediaType}' (schema 1 manifests are not supported)");
        }

        return new ManifestDocument(mediaType, actual, bytes);
    }

    /// <summary>
    /// The cached, verified file of <paramref name="blob"/>: downloaded (from the first endpoint that gives bytes with
    /// its digest) unless the cache has it. Nothing unverified is ever stored under its digest.
    /// </summary>
    public async Task<string> DownloadBlobAsync(ImageReference image, Descriptor blob, CancellationToken cancellationToken = default)
    {
        if (!Content.Digest.IsSha256(blob.Digest) || blob.Size < 0)
        {
            throw new RegistryException($"{image}: blob descriptor '{blob.Digest}' ({blob.Size} bytes) is not a sha256 digest with a size; refused");
        }

        var digest = Content.Digest.Parse(blob.Digest);
        if (_cache.TryGet(digest, out var cached))
        {
            return cached;
        }

        ThrowIfOffline($"blob {blob.Digest} of {image.Name}");
        var urls = new List<Uri>();
        var failures = new List<string>();
        foreach (var endpoint in UsableEndpoints(image, failures))
        {
            try
            {
                await PingAsync(endpoint, cancellationToken).ConfigureAwait(false);
                urls.Add(new Uri(endpoint.BaseUri, $"/v2/{image.Repository}/blobs/{blob.Digest}"));
            }
            catch (Exception ex) when (ex is RegistryException or HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                _downloader.Hosts.Record(endpoint.BaseUri, ex);
                failures.Add(endpoint.IsMirror ? $"{endpoint}: {ex.Message}" : ex.Message);
            }
        }

        var what = $"blob {blob.Digest} of {image.Name}";
        if (urls.Count == 0)
        {
            throw new RegistryException($"{what}: {string.Join("; ", failures)}");
        }

        var request = new DownloadRequest(what, urls, digest) { Size = blob.Size };
        try
        {
            var result = await _downloader.DownloadAsync(request, _counter, cancellationToken).ConfigureAwait(false);
            return result.Size == blob.Size
                ? result.Path
                : throw new RegistryException($"{what}: {result.Size} bytes, but the manifest says {blob.Size}");
        }
        catch (DownloadException ex) when (ex.Attempts.Any(a => a.Outcome.Contains("401", StringComparison.Ordinal)))
        {
            throw new RegistryException(ex.Message + _auth.CredentialHint(urls[^1].Authority), ex);
        }
        catch (DownloadException ex)
        {
            throw new RegistryException(failures.Count == 0 ? ex.Message : ex.Message + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", failures), ex);
        }
    }

    public void Dispose()
    {
        _downloader.Dispose();
        _http.Dispose();
    }

    /// <summary>Counts downloaded bytes and forwards progress.</summary>
    private sealed class ByteCounter(RegistryClient owner) : IDownloadProgress
    {
        public void Started(string name, Uri url, long? totalBytes, long offset) => owner.Progress?.Started(name, url, totalBytes, offset);

        public void Advanced(string name, long bytes)
        {
            Interlocked.Add(ref owner._bytesDownloaded, bytes);
            owner.Progress?.Advanced(name, bytes);
        }

        public void Failed(string name, Uri url, string reason, bool willRetry)
        {
            owner.OnRetry?.Invoke($"{url}: {reason}{(willRetry ? "; retrying" : string.Empty)}");
            owner.Progress?.Failed(name, url, reason, willRetry);
        }

        public void Completed(DownloadResult result) => owner.Progress?.Completed(result);
    }

    /// <summary>Runs <paramref name="action"/> on each endpoint of the image's registry until one succeeds.</summary>
    private async Task<T> OnEndpointsAsync<T>(ImageReference image, string what, Func<RegistryEndpoint, CancellationToken, Task<T>> action, CancellationToken ct)
    {
        ThrowIfOffline(what);
        var failures = new List<string>();
        Exception? last = null;
        foreach (var endpoint in UsableEndpoints(image, failures))
        {
            try
            {
                return await action(endpoint, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RegistryException or HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                _downloader.Hosts.Record(endpoint.BaseUri, ex);
                last = ex;
                failures.Add(endpoint.IsMirror ? $"{endpoint}: {ex.Message}" : ex.Message);
            }
        }

        var message = failures.Count == 1 ? $"{what}: {failures[0]}" : $"{what}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", failures);
        throw last is null ? new RegistryException(message) : new RegistryException(message, last);
    }

    /// <summary>
    /// The endpoints of the image's registry that may be tried: not plain HTTP unless allowed, not a host that already
    /// failed too often. Each one left out adds its reason to <paramref name="failures"/>.
    /// </summary>
    private IEnumerable<RegistryEndpoint> UsableEndpoints(ImageReference image, List<string> failures)
    {
        foreach (var endpoint in _options.EndpointsFor(image.Registry))
        {
            if (endpoint.BaseUri.Scheme == Uri.UriSchemeHttp && !_options.AllowsPlainHttp(endpoint.BaseUri))
            {
                failures.Add($"{endpoint}: plain HTTP is not allowed; list {endpoint.BaseUri.Authority} under [Registries] Insecure in cake.config");
                continue;
            }

            if (_downloader.Hosts.ReasonToSkip(endpoint.BaseUri) is { } skip)
            {
                failures.Add(skip);
                continue;
            }

            yield return endpoint;
        }
    }

    private void ThrowIfOffline(string what)
    {
        if (_options.Offline)
        {
            throw new RegistryException($"{what} is not in the cache and --offline forbids the network (pin the image by digest and build once online)");
        }
    }

    private static void EnsureSuccess(HttpResponseMessage response, Uri url)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new RegistryException($"{url}: {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    private TimeSpan Backoff(int attempt) => _options.BaseDelay * Math.Pow(2, attempt - 1);
}
