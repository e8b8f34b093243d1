using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>
/// A small Kestrel server on loopback in front of a <see cref="TestRegistry"/>, acting as a registry that uses the
/// bearer-token flow: <c>/token</c> is the token server (issues a token per scope, optionally only with basic
/// credentials), and <c>/v2/…</c> answers 401 with a <c>WWW-Authenticate: Bearer realm,service,scope</c> challenge
/// unless a token it issued is presented, then proxies to the registry. It can also answer the next N blob
/// requests with 429 and a Retry-After.
/// </summary>
public sealed class GateServer : IAsyncDisposable
{
    public const string Service = "kube-airgap-test";

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new();
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private int _tooManyRequests;

    private GateServer(WebApplication app, Uri upstream, (string User, string Password)? credentials)
    {
        _app = app;
        Upstream = upstream;
        Credentials = credentials;
    }

    public Uri Upstream { get; }

    public (string User, string Password)? Credentials { get; }

    public int Port { get; private set; }

    public string Host => $"127.0.0.1:{Port}";

    /// <summary>The scopes tokens were asked for, in order.</summary>
    public ConcurrentQueue<string> TokenScopes { get; } = new();

    /// <summary>Every /v2/ request and the status it got.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Answer the next <paramref name="count"/> blob requests with 429 and <c>Retry-After: <paramref name="seconds"/></c>.</summary>
    public void ThrottleBlobs(int count) => Interlocked.Exchange(ref _tooManyRequests, count);

    public static async Task<GateServer> StartAsync(Uri upstream, (string User, string Password)? credentials = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var gate = new GateServer(app, upstream, credentials);
        app.MapGet("/token", gate.TokenAsync);
        app.Map("/v2/{**rest}", gate.ProxyAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        gate.Port = new Uri(address).Port;
        return gate;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
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

        var token = "tok-" + Guid.NewGuid().ToString("N");
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

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(Upstream, path + context.Request.QueryString));
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
