using System.Text.RegularExpressions;
using KubeAirgap.Diagnostics;
using KubeAirgap.Yaml;

namespace KubeAirgap.Cluster;

/// <summary>
/// Reads and checks the inventory's <c>etcd:</c> section: <c>etcd.heartbeatIntervalMs</c>, <c>etcd.electionTimeoutMs</c>
/// and <c>etcd.backup.schedule/keep/dir</c>.
/// </summary>
public static partial class EtcdSection
{
    /// <summary>systemd's shorthand calendar events (systemd.time(7), "Calendar Events").</summary>
    private static readonly string[] Shorthands =
        ["minutely", "hourly", "daily", "weekly", "monthly", "quarterly", "semiannually", "yearly", "annually"];

    public static EtcdSpec Read(YamlMap etcd, Dictionary<string, Location> sources)
    {
        var backup = etcd.Map("backup");
        var defaults = new EtcdBackupSpec();
        foreach (var key in new[] { "schedule", "keep", "dir" })
        {
            sources[backup.Child(key)] = backup.LocationOf(key);
        }

        var spec = new EtcdBackupSpec
        {
            Schedule = backup.String("schedule", fallback: defaults.Schedule)!,
            Keep = backup.Int("keep", fallback: defaults.Keep) ?? defaults.Keep,
            Dir = backup.String("dir", fallback: defaults.Dir)!,
        };
        backup.Done();
        foreach (var key in new[] { "heartbeatIntervalMs", "electionTimeoutMs" })
        {
            sources[etcd.Child(key)] = etcd.LocationOf(key);
        }

        var heartbeat = etcd.Int("heartbeatIntervalMs", fallback: EtcdSpec.DefaultHeartbeatIntervalMs) ?? EtcdSpec.DefaultHeartbeatIntervalMs;
        var election = etcd.Int("electionTimeoutMs", fallback: EtcdSpec.DefaultElectionTimeoutMs) ?? EtcdSpec.DefaultElectionTimeoutMs;
        etcd.Done();
        return new EtcdSpec { Backup = spec, HeartbeatIntervalMs = heartbeat, ElectionTimeoutMs = election };
    }

    public static void Check(ClusterSpec spec, List<Diagnostic> d)
    {
        CheckTiming(spec, d);
        var backup = spec.Etcd.Backup;
        if (!IsCalendar(backup.Schedule))
        {
            d.Add(spec.At("etcd.backup.schedule").Error(
                $"'{backup.Schedule}' is not a systemd calendar event (OnCalendar=, systemd.time(7)) such as '{EtcdBackupSpec.DefaultSchedule}' or 'daily'"));
        }

        if (backup.Keep is < 1 or > 1000)
        {
            d.Add(spec.At("etcd.backup.keep").Error($"{backup.Keep} snapshots: keep between 1 and 1000"));
        }

        // the script creates the directory and deletes old snapshots in it: the data path rules apply
        if (ClusterValidator.DataPathProblem(backup.Dir) is { } problem)
        {
            d.Add(spec.At("etcd.backup.dir").Error($"'{backup.Dir}' {problem}"));
            return;
        }

        foreach (var (dir, key) in new[] { (spec.Paths.EtcdDataDir, "etcdDataDir"), (spec.Paths.EtcdWalDir, "etcdWalDir") })
        {
            if (Inside(backup.Dir, dir) || Inside(dir, backup.Dir))
            {
                d.Add(spec.At("etcd.backup.dir").Error(
                    $"'{backup.Dir}' overlaps paths.{key} '{dir}': a restore moves the data directory aside, snapshots must live outside it"));
            }
        }
    }

    /// <summary>The rules etcd itself applies at start (embed/config.go, Validate): refused here, not on the node.</summary>
    private static void CheckTiming(ClusterSpec spec, List<Diagnostic> d)
    {
        var (heartbeat, election) = (spec.Etcd.HeartbeatIntervalMs, spec.Etcd.ElectionTimeoutMs);
        if (heartbeat <= 0)
        {
            d.Add(spec.At("etcd.heartbeatIntervalMs").Error($"{heartbeat} ms: etcd's --heartbeat-interval must be > 0"));
            return;
        }

        if (election < 5 * heartbeat)
        {
            d.Add(spec.At("etcd.electionTimeoutMs").Error(
                $"{election} ms: etcd refuses an --election-timeout below 5 x --heartbeat-interval ({heartbeat} ms -> at least {5 * heartbeat} ms; etcd's tuning guide suggests about 10x)"));
        }
        else if (election > EtcdSpec.MaxElectionTimeoutMs)
        {
            d.Add(spec.At("etcd.electionTimeoutMs").Error(
                $"{election} ms: etcd refuses an --election-timeout above {EtcdSpec.MaxElectionTimeoutMs} ms"));
        }
    }

    /// <summary>A shorthand, or one to three fields of digits, '*', and the separators systemd's calendar grammar uses.</summary>
    public static bool IsCalendar(string text) =>
        Shorthands.Contains(text.Trim(), StringComparer.Ordinal) || Calendar().IsMatch(text.Trim());

    private static bool Inside(string path, string dir)
    {
        var p = path.TrimEnd('/') + "/";
        var q = dir.TrimEnd('/') + "/";
        return p.StartsWith(q, StringComparison.Ordinal);
    }

    // [weekday[,weekday|..weekday]] [date] [time] [timezone]: weekdays as Mon..Sun, fields of digits, '*', ',', '.', '/', '~', '-', ':'.
    [GeneratedRegex(@"^((Mon|Tue|Wed|Thu|Fri|Sat|Sun)([,.]{1,2}(Mon|Tue|Wed|Thu|Fri|Sat|Sun))*\s+)?[0-9*][0-9*,./~:-]*(\s+[0-9*][0-9*,./~:-]*)?(\s+(UTC|[A-Za-z]+/[A-Za-z_]+))?$")]
    private static partial Regex Calendar();
}
