using KubeAirgap.Content.Download;
using Spectre.Console;

namespace Build.Settings;

/// <summary>How Fetch reports progress: bars on a terminal (auto), always bars, or plain log lines.</summary>
public enum FetchProgress
{
    Auto,
    Bars,
    Plain,
}

/// <summary>[Fetch]: downloads at once, retries, timeouts, progress display.</summary>
public sealed record FetchSettings(int Parallelism, int Retries, int RetryDelaySeconds, int TimeoutSeconds, FetchProgress Progress)
{
    public static FetchSettings From(Section s) => new(
        s.Int("Parallelism", 4, min: 1),
        s.Int("Retries", 4),
        s.Int("RetryDelaySeconds", 1),
        s.Int("TimeoutSeconds", 30, min: 1),
        s.Choice("Progress", FetchProgress.Auto, new Dictionary<string, FetchProgress>
        {
            ["auto"] = FetchProgress.Auto,
            ["bars"] = FetchProgress.Bars,
            ["plain"] = FetchProgress.Plain,
        }));

    /// <summary>Retries and timeouts of every verified download (Fetch, Lock, and the registry client's blobs).</summary>
    public DownloadOptions Download => new()
    {
        Retries = Retries,
        RetryDelay = TimeSpan.FromSeconds(RetryDelaySeconds),
        IdleTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
    };

    /// <summary>Progress bars: when asked for, or (auto) only on a terminal and not with NO_COLOR set.</summary>
    public bool Interactive => Progress switch
    {
        FetchProgress.Bars => true,
        FetchProgress.Plain => false,
        _ => !Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"))
            && AnsiConsole.Profile.Capabilities.Interactive,
    };
}
