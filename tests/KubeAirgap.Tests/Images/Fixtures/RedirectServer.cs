using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>
/// Behaves like registry.k8s.io: answers the <c>/v2/</c> ping itself (200, no auth) and sends every other
/// <c>/v2/…</c> request with a 307 to another registry, which has its own bearer auth.
/// </summary>
public sealed class RedirectServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RedirectServer(WebApplication app) => _app = app;

    public int Port { get; private set; }

    public string Host => $"127.0.0.1:{Port}";

    public static async Task<RedirectServer> StartAsync(Uri target)
    {
        var app = LoopbackWebApp.Create();
        app.MapGet("/v2/", () => Results.Json(new { }));
        app.Map("/v2/{**rest}", (HttpContext context) =>
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = new Uri(target, context.Request.Path + context.Request.QueryString).ToString();
        });
        var server = new RedirectServer(app);
        server.Port = (await LoopbackWebApp.StartAsync(app).ConfigureAwait(false)).Port;
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
