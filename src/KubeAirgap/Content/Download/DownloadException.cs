using System.Net;

namespace KubeAirgap.Content.Download;

/// <summary>No URL gave the expected bytes: names the artifact, every URL tried with its outcome, and the expected digest.</summary>
public sealed class DownloadException : Exception
{
    public DownloadException(string name, Digest? expected, IReadOnlyList<DownloadAttempt> attempts)
        : base(Format(name, expected, attempts))
    {
        ArtifactName = name;
        Expected = expected;
        Attempts = attempts;
    }

    public DownloadException()
        : this("artifact", null, [])
    {
    }

    public DownloadException(string message)
        : base(message)
    {
    }

    public DownloadException(string message, Exception inner)
        : base(message, inner)
    {
        ArtifactName = message;
        Attempts = [];
    }

    public string ArtifactName { get; } = string.Empty;

    public Digest? Expected { get; }

    public IReadOnlyList<DownloadAttempt> Attempts { get; } = [];

    private static string Format(string name, Digest? expected, IReadOnlyList<DownloadAttempt> attempts)
    {
        var head = expected is null
            ? $"could not download {name}"
            : $"could not download {name} with {expected}";
        return head + $" ({attempts.Count} attempt(s)):" + Environment.NewLine
            + string.Join(Environment.NewLine, attempts.Select(a => $"  {a.Url}: {a.Outcome}"));
    }
}

/// <summary>A status worth retrying (408, 429, 5xx), with the server's Retry-After when it sent one.</summary>
internal sealed class TransientHttpException(HttpStatusCode status, TimeSpan? retryAfter)
    : Exception($"HTTP {(int)status} {status}")
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>A status that retrying the same URL will not fix (404, 403...): the next URL is tried.</summary>
internal sealed class PermanentHttpException(HttpStatusCode status)
    : Exception($"HTTP {(int)status} {status}");

/// <summary>The bytes arrived but their digest is wrong: the partial file is deleted and the next URL tried.</summary>
internal sealed class ContentMismatchException(Digest expected, Digest actual, long size)
    : Exception($"digest mismatch: expected {expected}, got {actual} ({size} bytes)");
