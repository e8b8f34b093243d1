using System.Collections.Concurrent;
using System.Net;
using KubeAirgap.Content.Download;

namespace KubeAirgap.Images.Registry;

public sealed partial class RegistryClient
{
    /// <summary>Endpoints already pinged.</summary>
    private readonly ConcurrentDictionary<Uri, bool> _pinged = new();

    /// <summary>
    /// Sends a request (built fresh per attempt), retrying 429 (waiting its Retry-After), 5xx and connection
    /// failures. Auth and redirects are the <see cref="RegistryAuthHandler"/>'s; a 401 that survives it is an error.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(RegistryEndpoint endpoint, Func<HttpRequestMessage> make, CancellationToken ct)
    {
        await PingAsync(endpoint, ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            using var request = make();
            HttpResponseMessage response;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested && attempt < _options.MaxAttempts && !endpoint.IsMirror
                && !HostFailures.IsNameResolution(ex))
            {
                await WaitAsync(request.RequestUri!, ex.Message, Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                response.Dispose();
                throw new RegistryException($"{request.RequestUri}: 401 Unauthorized{_auth.CredentialHint(endpoint.BaseUri.Authority)}");
            }

            var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
            if (retryable && attempt < _options.MaxAttempts)
            {
                var delay = response.StatusCode == HttpStatusCode.TooManyRequests ? RetryAfter(response) ?? Backoff(attempt) : Backoff(attempt);
                var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                response.Dispose();
                await WaitAsync(request.RequestUri!, status, delay, ct).ConfigureAwait(false);
                continue;
            }

            return response;
        }
    }

    private async Task WaitAsync(Uri url, string why, TimeSpan delay, CancellationToken ct)
    {
        OnRetry?.Invoke($"{url}: {why}; retrying in {delay.TotalSeconds:0.#}s");
        await Task.Delay(delay, _time, ct).ConfigureAwait(false);
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - _time.GetUtcNow() : null);
        if (delay is null)
        {
            return null;
        }

        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay > _options.MaxRetryAfter ? _options.MaxRetryAfter : delay;
    }

    /// <summary>
    /// <c>GET /v2/</c> once per endpoint: 200 means no auth, 401 carries the challenge the auth handler then answers
    /// on every request; anything else means this is not a registry.
    /// </summary>
    private async Task PingAsync(RegistryEndpoint endpoint, CancellationToken ct)
    {
        _auth.MapCredentials(endpoint.BaseUri.Authority, endpoint.CredentialKey);
        if (_pinged.ContainsKey(endpoint.BaseUri))
        {
            return;
        }

        var url = new Uri(endpoint.BaseUri, "/v2/");
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? answer;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                answer = await _http.GetAsync(url, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested && attempt < _options.MaxAttempts && !endpoint.IsMirror
                && !HostFailures.IsNameResolution(ex))
            {
                await WaitAsync(url, ex.Message, Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }

            using var response = answer;
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Unauthorized)
            {
                _pinged[endpoint.BaseUri] = true;
                return;
            }

            var retryable = response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500;
            if (!retryable || attempt >= _options.MaxAttempts)
            {
                throw new RegistryException($"{url}: {(int)response.StatusCode} {response.ReasonPhrase} (not an OCI registry?)");
            }

            var delay = response.StatusCode == HttpStatusCode.TooManyRequests ? RetryAfter(response) ?? Backoff(attempt) : Backoff(attempt);
            await WaitAsync(url, $"{(int)response.StatusCode}", delay, ct).ConfigureAwait(false);
        }
    }
}
