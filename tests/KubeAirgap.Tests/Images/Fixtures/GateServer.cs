using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>
/// A small Kestrel server on loopback. <c>/token</c> is a token server in docker/distribution's format: a JWT
/// (RS256, <c>kid</c> = libtrust fingerprint of its key) with <c>iss</c>, <c>aud</c> = service and the granted
/// <c>access</c>, issued only with the right basic credentials when some are set; a docker-registry configured with
/// <see cref="TokenAuthConfig"/> verifies those tokens itself. In front of a <see cref="TestRegistry"/> (given an
/// upstream), <c>/v2/…</c> also acts as a bearer-protected registry: 401 with a <c>WWW-Authenticate: Bearer
/// realm,service,scope</c> challenge unless a token it issued is presented, then proxied; it can answer the next N
/// blob requests with 429 and a Retry-After.
/// </summary>
public sealed class GateServer : IAsyncDisposable
{
    public const string Service = "kube-airgap-test";

    public const string Issuer = "kube-airgap-test-issuer";

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private int _tooManyRequests;

    private GateServer(WebApplication app, Uri? upstream, (string User, string Password)? credentials)
    {
        _app = app;
        Upstream = upstream;
        Credentials = credentials;
    }

    public Uri? Upstream { get; }

    /// <summary>The self-signed certificate of the signing key, PEM (the registry's <c>rootcertbundle</c>).</summary>
    public string CertificatePem
    {
        get
        {
            var request = new CertificateRequest("CN=kube-airgap test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            return cert.ExportCertificatePem();
        }
    }

    /// <summary>The <c>auth:</c> section of a docker-registry config that trusts this token server.</summary>
    public string TokenAuthConfig(string certificateFile) =>
        $"auth:\n  token:\n    realm: http://{Host}/token\n    service: {Service}\n    issuer: {Issuer}\n    rootcertbundle: {certificateFile}\n";

    public (string User, string Password)? Credentials { get; }

    public int Port { get; private set; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The scopes tokens were asked for, in order.</summary>
    public ConcurrentQueue<string> TokenScopes { get; } = new();

    /// <summary>Every /v2/ request and the status it got.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Answer the next <paramref name="count"/> blob requests with 429 and <c>Retry-After: <paramref name="seconds"/></c>.</summary>
    public void ThrottleBlobs(int count) => Interlocked.Exchange(ref _tooManyRequests, count);

    public static async Task<GateServer> StartAsync(Uri? upstream, (string User, string Password)? credentials = null)
    {
        var app = LoopbackWebApp.Create();
        var gate = new GateServer(app, upstream, credentials);
        app.MapGet("/token", gate.TokenAsync);
        if (upstream is not null)
        {
            app.Map("/v2/{**rest}", gate.ProxyAsync);
        }

        gate.Port = (await LoopbackWebApp.StartAsync(app).ConfigureAwait(false)).Port;
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
        _key.Dispose();
    }

    /// <summary>A signed token granting <paramref name="actions"/> on <paramref name="repository"/> (tests push with it).</summary>
    public string Mint(string repository, params string[] actions)
    {
        var token = Jwt(repository, actions);
        _tokens[token] = $"repository:{repository}:{string.Join(',', actions)}";
        return token;
    }

    private async Task TokenAsync(HttpContext context)
    {
        var scope = context.Request.Query["scope"].ToString();
        TokenScopes.Enqueue(scope);
        if (Credentials is { } expected)
        {
            var header = context.Request.Headers.Authorization.ToString();
            var want = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{expected.User}:{expected.Password}"));
            if (header != want)
            {
                context.Response.StatusCode = 401;
                return;
            }
        }

        if (context.Request.Query["service"] != Service)
        {
            context.Response.StatusCode = 400;
            return;
        }

        var parts = scope.Split(':');
        var token = parts.Length == 3 && parts[0] == "repository" ? Jwt(parts[1], parts[2].Split(',')) : Jwt(null, []);
        _tokens[token] = scope;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"token\":\"{token}\",\"expires_in\":300}}").ConfigureAwait(false);
    }

    private async Task ProxyAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/v2/";
        var repository = RepositoryOf(path);
        var auth = context.Request.Headers.Authorization.ToString();
        var token = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..] : null;
        var allowed = token is not null && _tokens.TryGetValue(token, out var scope) && (repository is null || scope == $"repository:{repository}:pull");
        if (!allowed)
        {
            var challenge = $"Bearer realm=\"http://{Host}/token\",service=\"{Service}\"" + (repository is null ? string.Empty : $",scope=\"repository:{repository}:pull\"");
            context.Response.Headers.WWWAuthenticate = challenge;
            context.Response.StatusCode = 401;
            Requests.Enqueue($"{path} 401");
            return;
        }

        if (path.Contains("/blobs/", StringComparison.Ordinal) && Interlocked.Decrement(ref _tooManyRequests) >= 0)
        {
            context.Response.Headers.RetryAfter = "1";
            context.Response.StatusCode = 429;
            Requests.Enqueue($"{path} 429");
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Upstream!, path + context.Request.QueryString));
        foreach (var accept in context.Request.Headers.Accept)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (name is "Docker-Content-Digest" or "Content-Type" or "Content-Length" or "Docker-Distribution-Api-Version")
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        Requests.Enqueue($"{path} {(int)response.StatusCode}");
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private string Jwt(string? repository, string[] actions)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = KeyId(_key) });
        var access = repository is null ? [] : new[] { new Dictionary<string, object> { ["type"] = "repository", ["name"] = repository, ["actions"] = actions } };
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = Issuer,
            ["sub"] = Credentials?.User ?? "anonymous",
            ["aud"] = Service,
            ["exp"] = now + 300,
            ["nbf"] = now - 10,
            ["iat"] = now,
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["access"] = access,
        });
        var signed = $"{Base64Url(header)}.{Base64Url(claims)}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url(signature)}";
    }

    /// <summary>libtrust's key ID: sha256 of the DER public key, first 240 bits, base32 in 12 groups of 4 joined by ':'.</summary>
    private static string KeyId(RSA key)
    {
        var hash = SHA256.HashData(key.ExportSubjectPublicKeyInfo())[..30];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = string.Concat(hash.Select(b => Convert.ToString(b, 2).PadLeft(8, '0')));
        var base32 = string.Concat(Enumerable.Range(0, bits.Length / 5).Select(i => alphabet[Convert.ToInt32(bits.Substring(i * 5, 5), 2)]));
        return string.Join(':', base32.Chunk(4).Select(c => new string(c)));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string? RepositoryOf(string path)
    {
        var rest = path["/v2/".Length..];
        foreach (var marker in new[] { "/manifests/", "/blobs/" })
        {
            var i = rest.IndexOf(marker, StringComparison.Ordinal);
            if (i > 0)
            {
                return rest[..i];
            }
        }

        return null;
    }
}
