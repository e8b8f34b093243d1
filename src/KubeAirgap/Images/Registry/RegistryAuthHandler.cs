using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace KubeAirgap.Images.Registry;

/// <summary>
/// The registry's auth and redirects as an HTTP handler, so manifests, pings and the fetch stage's blob downloads
/// (with their Range requests) share it. Per host it remembers the <c>WWW-Authenticate</c> challenge (from the
/// <c>/v2/</c> ping or any 401) and answers it: <c>Basic</c> with the host's credentials, <c>Bearer</c> with a token
/// from the challenge's realm for <c>repository:&lt;repo&gt;:pull</c> (anonymous, or with basic credentials).
/// Redirects are followed here, each hop authorized for its own host: registry.k8s.io, for one, redirects to a
/// regional registry that wants its own token, and blob redirects to object storage must carry no Authorization.
/// </summary>
public sealed partial class RegistryAuthHandler : DelegatingHandler
{
    private const int MaxRedirects = 10;

    private readonly RegistryOptions _options;
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<(string Authority, string Scope), string> _tokens = new();
    private readonly ConcurrentDictionary<string, string> _credentialKeys = new(StringComparer.OrdinalIgnoreCase);

    public RegistryAuthHandler(RegistryOptions options, HttpMessageHandler inner)
        : base(inner)
    {
        _options = options;
    }

    /// <summary>Credentials for requests to <paramref name="authority"/> are looked up under <paramref name="credentialKey"/> (docker.io for registry-1.docker.io).</summary>
    public void MapCredentials(string authority, string credentialKey) => _credentialKeys[authority] = credentialKey;

    public bool KnowsChallengeFor(string authority) => _challenges.ContainsKey(authority);

    public Credential? CredentialFor(string authority) =>
        _options.Credentials.For(_credentialKeys.GetValueOrDefault(authority) ?? authority);

    public string CredentialKeyFor(string authority) => _credentialKeys.GetValueOrDefault(authority) ?? authority;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var current = request;
        try
        {
            for (var hop = 0; ; hop++)
            {
                var response = await SendAuthorizedAsync(current, cancellationToken).ConfigureAwait(false);
                if (!IsRedirect(response.StatusCode) || response.Headers.Location is null)
                {
                    return response;
                }

                if (hop >= MaxRedirects)
                {
                    response.Dispose();
                    throw new RegistryException($"{request.RequestUri}: more than {MaxRedirects} redirects");
                }

                var next = new HttpRequestMessage(current.Method == HttpMethod.Head ? HttpMethod.Head : HttpMethod.Get, new Uri(current.RequestUri!, response.Headers.Location));
                foreach (var header in current.Headers.Where(h => h.Key != "Authorization"))
                {
                    next.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                response.Dispose();
                if (next.RequestUri!.Scheme == Uri.UriSchemeHttp && !_options.AllowsPlainHttp(next.RequestUri))
                {
                    next.Dispose();
                    throw new RegistryException($"{request.RequestUri}: redirected to plain HTTP {next.RequestUri.GetLeftPart(UriPartial.Authority)}, which is not listed under [Registries] Insecure");
                }

                if (!ReferenceEquals(current, request))
                {
                    current.Dispose();
                }

                current = next;
            }
        }
        finally
        {
            if (!ReferenceEquals(current, request))
            {
                current.Dispose();
            }
        }
    }

    /// <summary>One hop: authorize from what is known of its host; on a 401, learn the challenge and try once more.</summary>
    private async Task<HttpResponseMessage> SendAuthorizedAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var authority = request.RequestUri!.Authority;
        var scope = ScopeOf(request.RequestUri);
        request.Headers.Authorization = await AuthorizationAsync(authority, scope, ct).ConfigureAwait(false);
        var response = await base.SendAsync(request, ct).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized || AuthChallenge.From(response.Headers.WwwAuthenticate) is not { } challenge)
        {
            return response;
        }

        var known = _challenges.TryGetValue(authority, out var previous) ? previous : null;
        _challenges[authority] = challenge;
        var tokenScope = challenge.Scope ?? scope;
        if (tokenScope is null && !challenge.IsBasic)
        {
            return response; // the ping: the challenge is learnt, nothing to answer yet
        }

        var header = challenge.IsBasic
            ? CredentialFor(authority) is { } credential ? new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue) : null
            : challenge.IsBearer ? new AuthenticationHeaderValue("Bearer", await TokenAsync(authority, challenge, tokenScope!, scope ?? tokenScope!, force: known is not null && request.Headers.Authorization is not null, ct).ConfigureAwait(false)) : null;
        if (header is null || header.Equals(request.Headers.Authorization))
        {
            return response;
        }

        response.Dispose();
        request.Headers.Authorization = header;
        return await base.SendAsync(request, ct).ConfigureAwait(false);
    }

    private async Task<AuthenticationHeaderValue?> AuthorizationAsync(string authority, string? scope, CancellationToken ct)
    {
        if (!_challenges.TryGetValue(authority, out var challenge))
        {
            return null;
        }

        if (challenge.IsBasic)
        {
            return CredentialFor(authority) is { } credential ? new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue) : null;
        }

        if (challenge.IsBearer && scope is not null)
        {
            return new AuthenticationHeaderValue("Bearer", await TokenAsync(authority, challenge, scope, scope, force: false, ct).ConfigureAwait(false));
        }

        return null;
    }

    /// <summary>A token for <paramref name="scope"/> from the challenge's realm, cached under the request's scope.</summary>
    private async Task<string> TokenAsync(string authority, AuthChallenge challenge, string scope, string cacheScope, bool force, CancellationToken ct)
    {
        if (!force && _tokens.TryGetValue((authority, cacheScope), out var cached))
        {
            return cached;
        }

        if (challenge.Realm is null || !Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm))
        {
            throw new RegistryException($"{authority}: bearer challenge without a usable realm ('{challenge.Realm}')");
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
        var credential = CredentialFor(authority);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (credential is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credential.BasicHeaderValue);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.Timeout);
            using var response = await base.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if ((response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500) && attempt < _options.MaxAttempts)
            {
                await Task.Delay(_options.BaseDelay * Math.Pow(2, attempt - 1), ct).ConfigureAwait(false);
                continue;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RegistryException($"token server {realm}: {(int)response.StatusCode} {response.ReasonPhrase} for scope {scope}{CredentialHint(authority)}");
            }

            using var doc = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false));
            var root = doc.RootElement;
            var token = root.TryGetProperty("token", out var t) ? t.GetString()
                : root.TryGetProperty("access_token", out var a) ? a.GetString() : null;
            if (string.IsNullOrEmpty(token))
            {
                throw new RegistryException($"token server {realm}: answer has no token");
            }

            _tokens[(authority, cacheScope)] = token;
            return token;
        }
    }

    /// <summary>What a registry will hint when it refuses us.</summary>
    public string CredentialHint(string authority)
    {
        var key = CredentialKeyFor(authority);
        return CredentialFor(authority) is null
            ? $" (no credentials for {key}: set KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(key)}_USERNAME and _PASSWORD, or log in with a docker config.json)"
            : $" (credentials for {key} were rejected)";
    }

    /// <summary><c>repository:&lt;repo&gt;:pull</c> for <c>/v2/&lt;repo&gt;/manifests|blobs/…</c>; null for the ping and non-registry URLs.</summary>
    public static string? ScopeOf(Uri uri)
    {
        var match = RepositoryPath().Match(uri.AbsolutePath);
        return match.Success ? $"repository:{match.Groups["repo"].Value}:pull" : null;
    }

    private static bool IsRedirect(HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;

    [GeneratedRegex("^/v2/(?<repo>.+?)/(?:manifests|blobs|tags)/")]
    private static partial Regex RepositoryPath();
}
