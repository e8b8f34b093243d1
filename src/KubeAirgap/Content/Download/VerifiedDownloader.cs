using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Polly;
using Polly.Retry;

namespace KubeAirgap.Content.Download;

/// <summary>
/// Downloads an artifact into the <see cref="ArtifactCache"/>: each candidate URL in order, each with retries and
/// backoff (timeouts, connection resets, 408, 429 honouring Retry-After, 5xx), resuming a partial file with an HTTP
/// Range request, hashing while the bytes stream to disk, and renaming to the digest's name only once it matches.
/// A digest mismatch deletes the partial file and moves on to the next URL. Reusable for any content-addressed blob
/// (release binaries, OCI registry blobs with <see cref="DownloadRequest.ConfigureRequest"/> adding auth).
/// </summary>
public sealed class VerifiedDownloader : IDisposable
{
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly ArtifactCache _cache;
    private readonly DownloadOptions _options;
    private readonly ResiliencePipeline _retry;
    private readonly HostFailures _hosts = new();

    public VerifiedDownloader(ArtifactCache cache, DownloadOptions? options = null, HttpClient? client = null)
    {
        _cache = cache;
        _options = options ?? new DownloadOptions();
        _ownsClient = client is null;
        _client = client ?? CreateClient(_options);
        _retry = BuildRetry(_options);
    }

    public ArtifactCache Cache => _cache;

    /// <summary>Hosts whose name did not resolve in this run: no further URL on them is tried.</summary>
    public HostFailures Hosts => _hosts;

    public static HttpClient CreateClient(DownloadOptions options) =>
        new(new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = true,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            DefaultRequestHeaders = { { "User-Agent", "kube-airgap-fetch/1" } },
        };

    /// <summary>
    /// The verified cache file for <paramref name="request"/>: from the cache when present, else downloaded.
    /// Throws <see cref="DownloadException"/> listing every URL tried when none gives the expected digest.
    /// </summary>
    public async Task<DownloadResult> DownloadAsync(DownloadRequest request, IDownloadProgress? progress = null, CancellationToken cancellationToken = default)
    {
        progress ??= NullProgress.Instance;
        if (_cache.TryGet(request.Expected, out var cached))
        {
            return Done(new DownloadResult(request.Name, cached, request.Expected, new FileInfo(cached).Length, null), progress);
        }

        using (await _cache.LockAsync(request.Expected, cancellationToken).ConfigureAwait(false))
        {
            // another build (or thread) may have finished it while we waited for the lock
            if (_cache.TryGet(request.Expected, out cached))
            {
                return Done(new DownloadResult(request.Name, cached, request.Expected, new FileInfo(cached).Length, null), progress);
            }

            var attempts = new List<DownloadAttempt>();
            var partial = _cache.PartialPathOf(request.Expected);
            using var state = new PartialState(request.Expected);
            foreach (var url in request.Urls)
            {
                if (_hosts.ReasonToSkip(url) is { } known)
                {
                    attempts.Add(new DownloadAttempt(url, known));
                    continue;
                }

                try
                {
                    var size = await _retry.ExecuteAsync(
                        async ct => await AttemptAsync(request, url, partial, state, progress, attempts, ct).ConfigureAwait(false),
                        cancellationToken).ConfigureAwait(false);
                    var path = _cache.Commit(partial, request.Expected);
                    return Done(new DownloadResult(request.Name, path, request.Expected, size, url), progress);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsUrlFailure(e))
                {
                    var reason = Describe(e);
                    if (IsTransient(e) && attempts.Count > 0 && attempts[^1].Url == url)
                    {
                        // the last retried failure, already recorded: say that it was the last
                        reason = $"gave up after {_options.Retries + 1} attempt(s), last: {reason}";
                        attempts.RemoveAt(attempts.Count - 1);
                    }

                    _hosts.Record(url, e);
                    attempts.Add(new DownloadAttempt(url, reason));
                    progress.Failed(request.Name, url, reason, willRetry: false);
                    if (e is ContentMismatchException or BodyTooLargeException)
                    {
                        File.Delete(partial);
                        state.Reset();
                    }
                }
            }

            throw new DownloadException(request.Name, request.Expected, attempts);
        }
    }

    /// <summary>
    /// Downloads a small file whose digest is not known in advance (an OpenPGP signature, an upstream checksum file),
    /// with the same mirrors-in-order and retry policy, into memory (at most <paramref name="maxBytes"/>, chunked or not).
    /// The caller must verify it by other means (signature check, matching entry).
    /// </summary>
    /// <returns>The bytes and the URL that answered (after redirects).</returns>
    public async Task<(byte[] Bytes, Uri Source)> GetSmallAsync(string name, IReadOnlyList<Uri> urls, long maxBytes = 4 << 20,
        Func<HttpRequestMessage, CancellationToken, ValueTask>? configure = null, CancellationToken cancellationToken = default)
    {
        var attempts = new List<DownloadAttempt>();
        foreach (var url in urls)
        {
            if (_hosts.ReasonToSkip(url) is { } known)
            {
                attempts.Add(new DownloadAttempt(url, known));
                continue;
            }

            try
            {
                var bytes = await _retry.ExecuteAsync(
                    async ct =>
                    {
                        // the whole answer, headers and body, must arrive within the idle timeout: a small file has no excuse to trickle
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        timeout.CancelAfter(_options.IdleTimeout);
                        using var message = new HttpRequestMessage(HttpMethod.Get, url);
                        if (configure is not null)
                        {
                            await configure(message, ct).ConfigureAwait(false);
                        }

                        try
                        {
                            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                            ThrowOnStatus(response);
                            if (response.Content.Headers.ContentLength > maxBytes)
                            {
                                throw new BodyTooLargeException(url.ToString(), maxBytes);
                            }

                            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
                            var read = await BoundedReads.ReadAllAsync(body, maxBytes, url.ToString(), _options.IdleTimeout, timeout.Token).ConfigureAwait(false);
                            return (Bytes: read, Answered: response.RequestMessage?.RequestUri ?? url);
                        }
                        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                        {
                            throw new TimeoutException($"no complete answer within {_options.IdleTimeout.TotalSeconds:0.#}s");
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
                return bytes;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsUrlFailure(e))
            {
                _hosts.Record(url, e);
                attempts.Add(new DownloadAttempt(url, Describe(e)));
            }
        }

        throw new DownloadException(name, null, attempts);
    }

    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private static DownloadResult Done(DownloadResult result, IDownloadProgress progress)
    {
        progress.Completed(result);
        return result;
    }

    private async ValueTask<long> AttemptAsync(DownloadRequest request, Uri url, string partial, PartialState state,
        IDownloadProgress progress, List<DownloadAttempt> attempts, CancellationToken cancellationToken)
    {
        try
        {
            return await StreamAsync(request, url, partial, state, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && IsTransient(e))
        {
            // recorded here because the retry pipeline swallows all but the last
            attempts.Add(new DownloadAttempt(url, Describe(e)));
            progress.Failed(request.Name, url, Describe(e), willRetry: true);
            throw;
        }
    }

    private async Task<long> StreamAsync(DownloadRequest request, Uri url, string partial, PartialState state,
        IDownloadProgress progress, CancellationToken cancellationToken)
    {
        _cache.EnsureDirectory(Path.GetDirectoryName(partial)!);
        await using var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.SequentialScan);
        state.CatchUp(file, _options.BufferSize);
        var offset = file.Length;

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.IdleTimeout);
        using var message = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0)
        {
            message.Headers.Range = new RangeHeaderValue(offset, null);
        }

        if (request.ConfigureRequest is not null)
        {
            await request.ConfigureRequest(message, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // the partial file is as long as (or longer than) the resource: start over
                file.SetLength(0);
                state.Reset();
                throw new TransientHttpException(response.StatusCode, TimeSpan.Zero);
            }

            ThrowOnStatus(response);
            var resumed = response.StatusCode == HttpStatusCode.PartialContent
                && response.Content.Headers.ContentRange is { From: { } from } && from == offset;
            if (!resumed)
            {
                // no Range support (200) or an unexpected range: the whole body follows
                file.SetLength(0);
                state.Reset();
                offset = 0;
            }

            file.Seek(offset, SeekOrigin.Begin);
            var total = response.Content.Headers.ContentLength is { } length ? length + offset : request.Size;
            progress.Started(request.Name, url, total, offset);

            var limit = request.MaxBytes ?? request.Size ?? _options.MaxArtifactBytes;
            if (response.Content.Headers.ContentLength is { } announced && announced + offset > limit)
            {
                throw new BodyTooLargeException($"{url} ({announced + offset} bytes announced)", limit);
            }

            await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            await BoundedReads.CopyAsync(body, file, limit - offset, url.ToString(), _options.IdleTimeout, chunk =>
            {
                state.Append(chunk.Span);
                progress.Advanced(request.Name, chunk.Length);
            }, cancellationToken, _options.BufferSize).ConfigureAwait(false);

            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (total is { } expectedLength && file.Length < expectedLength)
            {
                throw new IOException($"connection closed after {file.Length} of {expectedLength} bytes");
            }

            var actual = state.Finish();
            if (actual != request.Expected)
            {
                throw new ContentMismatchException(request.Expected, actual, file.Length);
            }

            file.Flush(flushToDisk: true);
            return file.Length;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no data for {_options.IdleTimeout.TotalSeconds:0.#}s");
        }
    }

    private static void ThrowOnStatus(HttpResponseMessage response)
    {
        var code = (int)response.StatusCode;
        if (code is >= 200 and < 300)
        {
            return;
        }

        if (code is 408 or 429 or >= 500)
        {
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } => date - DateTimeOffset.UtcNow,
                _ => (TimeSpan?)null,
            };
            throw new TransientHttpException(response.StatusCode, retryAfter);
        }

        throw new PermanentHttpException(response.StatusCode);
    }

    private static bool IsTransient(Exception e) =>
        (e is TransientHttpException or TimeoutException or HttpRequestException or IOException)
        && !HostFailures.IsNameResolution(e);

    private static bool IsUrlFailure(Exception e) =>
        IsTransient(e) || HostFailures.IsNameResolution(e) || e is PermanentHttpException or ContentMismatchException or InvalidDataException or BodyTooLargeException;

    private static string Describe(Exception e) => e switch
    {
        HttpRequestException { InnerException: { } inner } when !e.Message.Contains(inner.Message, StringComparison.Ordinal) => $"{e.Message} ({inner.Message})",
        _ => e.Message,
    };

    private static ResiliencePipeline BuildRetry(DownloadOptions options) =>
        options.Retries <= 0
            ? ResiliencePipeline.Empty
            : new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = options.Retries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.MaxRetryAfter,
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is TransientHttpException { RetryAfter: { } after }
                        ? (TimeSpan?)(after < TimeSpan.Zero ? TimeSpan.Zero : after > options.MaxRetryAfter ? options.MaxRetryAfter : after)
                        : null),
            }).Build();

    /// <summary>The running hash of the partial file, kept across attempts so resumed bytes are not read twice.</summary>
    private sealed class PartialState(Digest expected) : IDisposable
    {
        private IncrementalHash _hasher = expected.CreateHasher();
        private long _hashed;

        /// <summary>Makes the hash cover exactly the bytes in <paramref name="file"/> (re-reads only a partial left by an earlier build).</summary>
        public void CatchUp(FileStream file, int bufferSize)
        {
            if (_hashed == file.Length)
            {
                return;
            }

            Reset();
            file.Seek(0, SeekOrigin.Begin);
            var buffer = new byte[bufferSize];
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                Append(buffer.AsSpan(0, read));
            }
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            _hasher.AppendData(bytes);
            _hashed += bytes.Length;
        }

        public Digest Finish()
        {
            var digest = Digest.Create(expected.Algorithm, Convert.ToHexStringLower(_hasher.GetCurrentHash()));
            return digest;
        }

        public void Reset()
        {
            _hasher.Dispose();
            _hasher = expected.CreateHasher();
            _hashed = 0;
        }

        public void Dispose() => _hasher.Dispose();
    }
}
