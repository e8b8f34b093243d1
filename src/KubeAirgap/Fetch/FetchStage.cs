using KubeAirgap.Content.Download;
using KubeAirgap.Fetch.Lock;
using KubeAirgap.Fetch.Progress;
using KubeAirgap.Layout;
using KubeAirgap.Pins;
using Spectre.Console;

namespace KubeAirgap.Fetch;

/// <summary>
/// The Fetch stage for a cluster's payloads: fills missing checksums from upstream's published checksum files on the
/// first build with internet (no separate Lock needed), fetches and verifies every planned artifact, and stages them
/// per payload, reporting with progress bars on a terminal or plain lines otherwise.
/// </summary>
public sealed class FetchStage(VerifiedDownloader downloader, MirrorMap mirrors, int parallelism, string pinsDirectory, Action<string> log)
{
    /// <summary>
    /// Locks what <paramref name="payloads"/> need and <paramref name="pins"/> has no checksum for (https only, never a
    /// download), unless <paramref name="offline"/>. Returns the pins to plan with (re-read when it locked any).
    /// </summary>
    public async Task<PinsFile> LockAsync(string pinsPath, PinsFile pins, string kubernetesVersion, IReadOnlyList<PayloadKey> payloads, bool offline)
    {
        var unlocked = FetchPlan.Unlocked(pins, kubernetesVersion, payloads);
        if (unlocked.Count == 0 || offline)
        {
            return pins;
        }

        var report = await new PinsLocker(downloader).LockAsync(pinsPath, allowDownload: false,
            (component, arch) => unlocked.Contains((component.Name, component.Version, arch))).ConfigureAwait(false);
        foreach (var line in report.Lines())
        {
            log(line);
        }

        return PinsLoader.LoadValid(pinsPath);
    }

    /// <summary>
    /// Fetches <paramref name="plan"/> and stages each payload into <paramref name="payloadDir"/>. With a
    /// <paramref name="console"/> progress and summary are drawn on it; without, they are logged as plain lines.
    /// </summary>
    public async Task<FetchResult> RunAsync(FetchPlan plan, bool offline, Func<PayloadKey, string> payloadDir, IAnsiConsole? console = null)
    {
        var fetcher = new Fetcher(downloader, mirrors, parallelism, pinsDirectory);
        var result = console is null
            ? await fetcher.FetchAsync(plan, offline, new LogProgress(log)).ConfigureAwait(false)
            : await SpectreProgress.RunAsync(console, progress => fetcher.FetchAsync(plan, offline, progress)).ConfigureAwait(false);
        var staged = Stager.Stage(plan, result, payloadDir);
        foreach (var key in plan.ByPayload.Keys)
        {
            log($"payload {key.Name}: {(staged.Contains(key) ? "staged" : "unchanged")}");
        }

        if (console is null)
        {
            log(FetchSummary.Plain(result));
        }
        else
        {
            console.Write(FetchSummary.Table(result));
        }

        return result;
    }
}
