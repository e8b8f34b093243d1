using KubeAirgap.Content.Download;
using KubeAirgap.Content;

namespace KubeAirgap.Fetch.Progress;

/// <summary>Plain log lines for CI (no ANSI): one when a transfer starts, fails or completes.</summary>
public sealed class LogProgress(Action<string> log) : IDownloadProgress
{
    public void Started(string name, Uri url, long? totalBytes, long offset) =>
        log(offset > 0
            ? $"GET {url} ({name}, resuming at {Size.Format(offset)} of {Size.Format(totalBytes)})"
            : $"GET {url} ({name}, {Size.Format(totalBytes)})");

    public void Advanced(string name, long bytes)
    {
    }

    public void Failed(string name, Uri url, string reason, bool willRetry) =>
        log($"{name}: {url}: {reason}{(willRetry ? " (will retry)" : " (trying the next URL)")}");

    public void Completed(DownloadResult result) =>
        log(result.FromCache
            ? $"{result.Name}: in cache ({Size.Format(result.Size)})"
            : $"{result.Name}: {Size.Format(result.Size)} from {result.Source}, {result.Digest.Algorithm} verified");
}
