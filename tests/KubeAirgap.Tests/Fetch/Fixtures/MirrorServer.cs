using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Fetch.Fixtures;

/// <summary>
/// A real HTTP server (Kestrel) on 127.0.0.1 and a free port, serving fixture files with scripted misbehaviour
/// (error statuses, dropped connections, slow or corrupted bodies, no Range support), and logging every request.
/// </summary>
public sealed class MirrorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StepQueue> _scripts = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RequestLog> _log = new();
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _handlers = new(StringComparer.Ordinal);

    private MirrorServer(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    public IReadOnlyList<RequestLog> Requests => [.. _log];

    /// <summary>When false the server ignores Range headers and always sends the whole body with 200.</summary>
    public bool SupportsRange { get; set; } = true;

    /// <param name="tls">Serve https with this CA's server certificate instead of plain http.</param>
    public static async Task<MirrorServer> StartAsync(TestCa? tls = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        if (tls is null)
        {
            builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration()
                .ConfigureKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0, l => l.UseHttps(tls.Server)));
        }

        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new MirrorServer(app);
        app.Run(server.HandleAsync);
        server.BaseUri = await LoopbackWebApp.StartAsync(app);
        return server;
    }

    public Uri Url(string path) => new(BaseUri, path.TrimStart('/'));

    public Uri Add(string path, byte[] content)
    {
        _files["/" + path.TrimStart('/')] = content;
        return Url(path);
    }

    /// <summary>Answers requests for <paramref name="path"/> with <paramref name="handler"/> (hostile servers: chunked, oversized, slow bodies).</summary>
    public void Handle(string path, Func<HttpContext, Task> handler) => _handlers["/" + path.TrimStart('/')] = handler;

    /// <summary>Scripted behaviour for one path; each step is used by one request, then the file is served normally.</summary>
    public void Script(string path, params Step[] steps) => _scripts["/" + path.TrimStart('/')] = new StepQueue(new ConcurrentQueue<Step>(steps));

    public IReadOnlyList<RequestLog> RequestsFor(string path) => [.. _log.Where(r => r.Path == "/" + path.TrimStart('/'))];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var range = context.Request.Headers.Range.ToString();
        var step = _scripts.TryGetValue(path, out var script) && script.Steps.TryDequeue(out var next) ? next : Step.Serve;
        var entry = new RequestLog(path, string.IsNullOrEmpty(range) ? null : range, context.Request.Headers.Authorization.ToString());
        _log.Enqueue(entry);
        if (_handlers.TryGetValue(path, out var handler))
        {
            await handler(context);
            entry.Status = context.Response.StatusCode;
            return;
        }

        if (step.Status is { } status)
        {
            context.Response.StatusCode = status;
            if (step.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            entry.Status = status;
            return;
        }

        if (!_files.TryGetValue(path, out var content))
        {
            context.Response.StatusCode = 404;
            entry.Status = 404;
            return;
        }

        if (step.Corrupt)
        {
            content = [.. content];
            content[content.Length / 2] ^= 0xff;
        }

        long offset = 0;
        if (SupportsRange && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-')
            && long.TryParse(range["bytes=".Length..^1], out var from))
        {
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                entry.Status = 416;
                return;
            }

            offset = from;
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        else
        {
            context.Response.StatusCode = 200;
        }

        entry.Status = context.Response.StatusCode;
        context.Response.Headers.AcceptRanges = SupportsRange ? "bytes" : "none";
        context.Response.ContentLength = content.Length - offset;
        if (step.Delay is { } delay)
        {
            await context.Response.Body.FlushAsync();
            await Task.Delay(delay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }
        }

        var end = step.DropAfter is { } drop ? Math.Min(content.Length, offset + drop) : content.Length;
        const int chunk = 16 * 1024;
        try
        {
            for (var i = offset; i < end; i += chunk)
            {
                var n = (int)Math.Min(chunk, end - i);
                await context.Response.Body.WriteAsync(content.AsMemory((int)i, n), context.RequestAborted);
                entry.AddSent(n);
            }

            if (step.DropAfter is not null)
            {
                await context.Response.Body.FlushAsync();
                context.Abort();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // the client went away
        }
    }

    private sealed record StepQueue(ConcurrentQueue<Step> Steps);
}

/// <summary>What the server does for one request.</summary>
public sealed record Step
{
    public static readonly Step Serve = new();

    public int? Status { get; init; }

    public int? RetryAfterSeconds { get; init; }

    /// <summary>Send this many body bytes, then abort the connection.</summary>
    public long? DropAfter { get; init; }

    /// <summary>Send the headers, then wait this long before the body.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Flip one byte of the body.</summary>
    public bool Corrupt { get; init; }

    public static Step Fail(int status, int? retryAfter = null) => new() { Status = status, RetryAfterSeconds = retryAfter };
}

public sealed class RequestLog(string path, string? range, string authorization)
{
    private long _sent;

    public string Path { get; } = path;

    public string? Range { get; } = range;

    public string Authorization { get; } = authorization;

    public int Status { get; set; }

    public long BytesSent => Interlocked.Read(ref _sent);

    public void AddSent(long n) => Interlocked.Add(ref _sent, n);
}
