using System.Collections.Concurrent;
using KubeAirgap.Content.Download;
using Spectre.Console;

namespace KubeAirgap.Fetch.Progress;

/// <summary>Spectre.Console progress bars (bytes, rate, ETA) for an interactive terminal.</summary>
public sealed class SpectreProgress(ProgressContext context) : IDownloadProgress
{
    private readonly ConcurrentDictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="work"/> with progress bars on <paramref name="console"/>.</summary>
    public static Task<T> RunAsync<T>(IAnsiConsole console, Func<IDownloadProgress, Task<T>> work) =>
        console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new DownloadedColumn(),
                new TransferSpeedColumn(),
                new RemainingTimeColumn())
            .StartAsync(ctx => work(new SpectreProgress(ctx)));

    public void Started(string name, Uri url, long? totalBytes, long offset)
    {
        var task = _tasks.GetOrAdd(name, n => context.AddTask(Markup.Escape(n), autoStart: true, maxValue: Math.Max(1, totalBytes ?? 1)));
        task.MaxValue = Math.Max(1, totalBytes ?? task.MaxValue);
        task.Value = offset;
        task.IsIndeterminate = totalBytes is null;
    }

    public void Advanced(string name, long bytes)
    {
        if (_tasks.TryGetValue(name, out var task))
        {
            task.Increment(bytes);
        }
    }

    public void Failed(string name, Uri url, string reason, bool willRetry)
    {
        if (_tasks.TryGetValue(name, out var task))
        {
            task.Description = Markup.Escape($"{name} ({reason}{(willRetry ? ", retrying" : ", next URL")})");
        }
    }

    public void Completed(DownloadResult result)
    {
        var task = _tasks.GetOrAdd(result.Name, n => context.AddTask(Markup.Escape(n), autoStart: true, maxValue: Math.Max(1, result.Size)));
        task.Description = Markup.Escape(result.FromCache ? $"{result.Name} (cache)" : result.Name);
        task.Value = task.MaxValue;
        task.StopTask();
    }
}
