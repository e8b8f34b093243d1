namespace KubeAirgap.Content.Download;

/// <summary>Where the downloader reports what it does (Spectre progress bars, plain log lines, or nothing).</summary>
public interface IDownloadProgress
{
    /// <summary>A response is streaming from <paramref name="url"/>; <paramref name="offset"/> bytes were resumed from a partial file.</summary>
    void Started(string name, Uri url, long? totalBytes, long offset);

    void Advanced(string name, long bytes);

    /// <summary>An attempt failed; the downloader retries or moves on to the next URL.</summary>
    void Failed(string name, Uri url, string reason, bool willRetry);

    void Completed(DownloadResult result);
}

public sealed class NullProgress : IDownloadProgress
{
    public static readonly NullProgress Instance = new();

    public void Started(string name, Uri url, long? totalBytes, long offset)
    {
    }

    public void Advanced(string name, long bytes)
    {
    }

    public void Failed(string name, Uri url, string reason, bool willRetry)
    {
    }

    public void Completed(DownloadResult result)
    {
    }
}
