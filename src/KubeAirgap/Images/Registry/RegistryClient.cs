using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using KubeAirgap.Images.Oci;

namespace KubeAirgap.Images.Registry;

/// <summary>
/// An OCI distribution (registry v2) client on HttpClient, for pulling: manifests and blobs by digest, verified
/// while they stream. Tries each mirror of a registry before the registry itself; authenticates from the
/// <c>/v2/</c> ping's challenge (anonymous or credentialed bearer tokens, basic auth); retries 429 (after its
/// Retry-After), 5xx and dropped connections.
/// </summary>
public sealed partial class RegistryClient : IDisposable
{
    /// <summary>Manifests larger than this are refused (registries cap them at 4 MiB too).</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly RegistryOptions _options;
    private readonly TimeProvider _time;
    private long _bytesDownloaded;

    public RegistryClient(RegistryOptions options, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = options.Timeout;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("kube-airgap", "1"));
    }

    /// <summary>Bytes of manifests and blobs received so far (the benchmark reports it).</summary>
    public long BytesDownloaded => Interlocked.Read(ref _bytesDownloaded);

    /// <summary>Called after each retry with what failed and how long the client waits; for logging.</summary>
    public Action<string>? OnRetry { get; set; }

    /// <summary>
    /// Resolves <paramref name="reference"/> (e.g. <c>registry.k8s.io/pause:3.10.2</c>) to the digest of the manifest
    /// or index its tag points at now, after checking the bytes against that digest. A reference that already
    /// carries a digest is checked against the registry and returned as is. The Lock task records the result.
    /// </summary>
    public async Task<string> ResolveDigestAsync(string reference, CancellationToken cancellationToken = default)
    {
        var image = ImageReference.Parse(reference);
        var manifest = await GetManifestAsync(image, image.ManifestReference, cancellationToken).ConfigureAwait(false);
        return manifest.Digest;
    }

    /// <summary>
    /// Fetches a manifest or index by tag or digest. By digest: the bytes must hash to it. By tag: they must hash
    /// to the registry's <c>Docker-Content-Digest</c> when it sends one.
    /// </summary>
    public Task<ManifestDocument> GetManifestAsync(ImageReference image, string reference, CancellationToken cancellationToken = default) =>
        OnEndpointsAsync(image, $"manifest {image.Name}:{reference}", async (endpoint, ct) =>
        {
            var url = new Uri(endpoint.BaseUri, $"/v2/{image.Repository}/manifests/{reference}");
            using var response = await SendAsync(endpoint, image.Repository, () =>
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

            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            Interlocked.Add(ref _bytesDownloaded, bytes.LongLength);
            var actual = Oci.Digest.Of(bytes);
            var expected = reference.StartsWith(Oci.Digest.Prefix, StringComparison.Ordinal)
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
        }, cancellationToken);

    /// <summary>
    /// Downloads a blob into <paramref name="path"/> (created or truncated on each attempt), hashing while it streams.
    /// Throws, leaving whatever was written for the caller to delete, when size or digest differ from <paramref name="blob"/>.
    /// </summary>
    public Task DownloadBlobAsync(ImageReference image, Descriptor blob, string path, CancellationToken cancellationToken = default) =>
        OnEndpointsAsync(image, $"blob {blob.Digest} of {image.Name}", async (endpoint, ct) =>
        {
            var url = new Uri(endpoint.BaseUri, $"/v2/{image.Repository}/blobs/{blob.Digest}");
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    using var response = await SendAsync(endpoint, image.Repository, () => new HttpRequestMessage(HttpMethod.Get, url), ct).ConfigureAwait(false);
                    EnsureSuccess(response, url);
                    await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    await CopyVerifiedAsync(body, file, blob, url, ct).ConfigureAwait(false);
                    return true;
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException && attempt < _options.MaxAttempts && !ct.IsCancellationRequested)
                {
                    var delay = Backoff(attempt);
                    OnRetry?.Invoke($"{url}: {ex.Message}; retrying in {delay.TotalSeconds:0.#}s");
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                }
            }
        }, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task CopyVerifiedAsync(Stream body, Stream file, Descriptor blob, Uri url, CancellationToken ct)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            total += read;
            Interlocked.Add(ref _bytesDownloaded, read);
            if (total > blob.Size)
            {
                throw new RegistryException($"{url}: blob is larger than its descriptor says ({blob.Size} bytes); refusing it");
            }

            hash.AppendData(buffer, 0, read);
            await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
        }

        var actual = Oci.Digest.Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());
        if (total != blob.Size || actual != blob.Digest)
        {
            throw new RegistryException($"{url}: blob digest mismatch: expected {blob.Digest} ({blob.Size} bytes), got {actual} ({total} bytes)");
        }
    }

    /// <summary>Runs <paramref name="action"/> on each endpoint of the image's registry until one succeeds.</summary>
    private async Task<T> OnEndpointsAsync<T>(ImageReference image, string what, Func<RegistryEndpoint, CancellationToken, Task<T>> action, CancellationToken ct)
    {
        var failures = new List<string>();
        Exception? last = null;
        foreach (var endpoint in _options.EndpointsFor(image.Registry))
        {
            if (endpoint.BaseUri.Scheme == Uri.UriSchemeHttp && !_options.AllowsPlainHttp(endpoint.BaseUri))
            {
                failures.Add($"{endpoint}: plain HTTP is not allowed; list {endpoint.BaseUri.Authority} under [Registries] Insecure in cake.config");
                continue;
            }

            try
            {
                return await action(endpoint, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RegistryException or HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = ex;
                failures.Add(endpoint.IsMirror ? $"{endpoint}: {ex.Message}" : ex.Message);
            }
        }

        var message = failures.Count == 1 ? $"{what}: {failures[0]}" : $"{what}:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", failures);
        throw last is null ? new RegistryException(message) : new RegistryException(message, last);
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
