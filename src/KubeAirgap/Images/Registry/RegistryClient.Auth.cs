using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace KubeAirgap.Images.Registry;

public sealed partial class RegistryClient
{
    /// <summary>Per endpoint: the challenge of its <c>/v2/</c> ping (null = no auth needed).</summary>
    private readonly ConcurrentDictionary<Uri, AuthChallenge?> _challenges = new();

    /// <summary>Bearer tokens by endpoint and scope.</summary>
    private readonly ConcurrentDictionary<(Uri Endpoint, string Scope), string> _tokens = new();

    /// <summary>
    /// Sends a request (built fresh per attempt) with the endpoint's authorization, answering one 401 by
    /// re-reading the challenge, and retrying 429 (waiting its Retry-After), 5xx and connection failures.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(RegistryEndpoint endpoint, string repository, Func<HttpRequestMessage> make, CancellationToken ct)
    {
        var reauthenticated = false;
        for (var attempt = 1; ; attempt++)
        {
            using var request = make();
            request.Headers.Authorization = await AuthorizationForAsync(endpoint, repository, ct).ConfigureAwait(false);
            HttpResponseMessage response;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested && attempt < _options.MaxAttempts && !endpoint.IsMirror)
            {
                await WaitAsync(request.RequestUri!, ex.Message, Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
                response.Dispose();
                if (!reauthenticated && challenge is not null)
                {
                    reauthenticated = true;
                    attempt--;
                    _challenges[endpoint.BaseUri] = challenge;
                    _tokens.TryRemove((endpoint.BaseUri, ScopeFor(challenge, repository)), out _);
                    continue;
                }

                throw new RegistryException($"{request.RequestUri}: 401 Unauthorized{CredentialHint(endpoint)}");
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

    /// <summary>The Authorization header for <paramref name="repository"/> on <paramref name="endpoint"/> (pinging it first), or null.</summary>
    private async Task<AuthenticationHeaderValue?> AuthorizationForAsync(RegistryEndpoint endpoint, string repository, CancellationToken ct)
    {
        if (!_challenges.TryGetValue(endpoint.BaseUri, out var challenge))
        {
            challenge = await PingAsync(endpoint, ct).ConfigureAwait(false);
            _challenges[endpoint.BaseUri] = challenge;
        }

        if (challenge is null)
        {
            return null;
        }

        var credential = _options.Credentials.For(endpoint.CredentialKey);
        if (challenge.IsBasic)
        {
            return credential is null ? null : new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
        }

        if (challenge.IsBearer)
        {
            var scope = ScopeFor(challenge, repository);
            if (!_tokens.TryGetValue((endpoint.BaseUri, scope), out var token))
            {
                token = await FetchTokenAsync(endpoint, challenge, scope, credential, ct).ConfigureAwait(false);
                _tokens[(endpoint.BaseUri, scope)] = token;
            }

            return new AuthenticationHeaderValue("Bearer", token);
        }

        return null;
    }

    /// <summary><c>GET /v2/</c>: 200 means no auth; 401 carries the challenge every later request answers.</summary>
    private async Task<AuthChallenge?> PingAsync(RegistryEndpoint endpoint, CancellationToken ct)
    {
        var url = new Uri(endpoint.BaseUri, "/v2/");
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? answer = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.Timeout);
                answer = await _http.GetAsync(url, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested && attempt < _options.MaxAttempts && !endpoint.IsMirror)
            {
                await WaitAsync(url, ex.Message, Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }

            using var response = answer;
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return AuthChallenge.From(response.Headers.WwwAuthenticate)
                    ?? throw new RegistryException($"{url}: 401 without a WWW-Authenticate challenge");
            }

            if (response.IsSuccessStatusCode)
            {
                return null;
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

    /// <summary>Asks the challenge's realm for a pull token, with basic credentials when there are some (else anonymously).</summary>
    private async Task<string> FetchTokenAsync(RegistryEndpoint endpoint, AuthChallenge challenge, string scope, Credential? credential, CancellationToken ct)
    {
        if (challenge.Realm is null || !Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm))
        {
            throw new RegistryException($"{endpoint.BaseUri}: bearer challenge without a usable realm ('{challenge.Realm}')");
        }

        if (realm.Scheme == Uri.UriSchemeHttp && !_options.AllowsPlainHttp(realm))
        {
            throw new RegistryException($"token realm {realm}: plain HTTP is not allowed; list {realm.Authority} under [Registries] Insecure");
        }

        var query = new List<string>();
        if (challenge.Service is not null)
        {
            query.Add("service=" + Uri.EscapeDataString(challenge.Service));
        }

        query.Add("scope=" + Uri.EscapeDataString(scope));
        var url = new UriBuilder(realm) { Query = string.Join('&', query) }.Uri;
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (credential is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.Timeout);
            using var response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if ((response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500) && attempt < _options.MaxAttempts)
            {
                await WaitAsync(url, $"{(int)response.StatusCode}", RetryAfter(response) ?? Backoff(attempt), ct).ConfigureAwait(false);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryException($"token server {realm}: {(int)response.StatusCode} {response.ReasonPhrase} for scope {scope}{CredentialHint(endpoint)}");
            }

            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
            var root = doc.RootElement;
            var token = root.TryGetProperty("token", out var t) ? t.GetString()
                : root.TryGetProperty("access_token", out var a) ? a.GetString() : null;
            return string.IsNullOrEmpty(token) ? throw new RegistryException($"token server {realm}: answer has no token") : token;
        }
    }

    private static string ScopeFor(AuthChallenge challenge, string repository) =>
        challenge.Scope is { } scope && scope.Contains($"repository:{repository}:", StringComparison.Ordinal)
            ? scope
            : $"repository:{repository}:pull";

    private string CredentialHint(RegistryEndpoint endpoint) =>
        _options.Credentials.For(endpoint.CredentialKey) is null
            ? $" (no credentials for {endpoint.CredentialKey}: set KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(endpoint.CredentialKey)}_USERNAME and _PASSWORD, or log in with a docker config.json)"
            : $" (credentials for {endpoint.CredentialKey} were rejected)";
}
