using System.Collections.Concurrent;
using System.Net.Sockets;

namespace KubeAirgap.Content.Download;

/// <summary>
/// Hosts whose name did not resolve during this run. A DNS failure is not retried (no network, or a name that does not
/// exist, does not heal in seconds), and every other URL on that host is skipped with the first failure as its reason,
/// so an offline build fails at once instead of trying each URL of each artifact five times.
/// </summary>
public sealed class HostFailures
{
    private readonly ConcurrentDictionary<string, string> _unresolvable = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The hosts that did not resolve, with the error each gave, in no particular order.</summary>
    public IReadOnlyDictionary<string, string> Unresolvable => _unresolvable;

    /// <summary>Why <paramref name="url"/> is not worth trying, or null when its host is not known to fail.</summary>
    public string? ReasonToSkip(Uri url) =>
        _unresolvable.TryGetValue(url.Host, out var reason) ? $"not tried: host {url.Host} could not be resolved ({reason})" : null;

    /// <summary>Remembers <paramref name="url"/>'s host when <paramref name="failure"/> is a name-resolution failure.</summary>
    public void Record(Uri url, Exception failure)
    {
        if (IsNameResolution(failure))
        {
            _unresolvable.TryAdd(url.Host, Innermost(failure).Message);
        }
    }

    /// <summary>Whether <paramref name="e"/> (or what caused it) says a host name could not be resolved.</summary>
    public static bool IsNameResolution(Exception e)
    {
        for (var current = (Exception?)e; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }
                || current is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData })
            {
                return true;
            }
        }

        return false;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
