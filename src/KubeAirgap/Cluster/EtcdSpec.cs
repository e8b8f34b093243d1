namespace KubeAirgap.Cluster;

/// <summary>The inventory's <c>etcd:</c> section.</summary>
public sealed record EtcdSpec
{
    /// <summary>etcd's --heartbeat-interval: how often the leader tells followers it is alive.</summary>
    public const int DefaultHeartbeatIntervalMs = 250;

    /// <summary>etcd's --election-timeout: how long a follower waits for a heartbeat before it calls an election.</summary>
    public const int DefaultElectionTimeoutMs = 2000;

    /// <summary>etcd refuses an election timeout above this (maxElectionMs in etcd's embed/config.go).</summary>
    public const int MaxElectionTimeoutMs = 50000;

    public EtcdBackupSpec Backup { get; init; } = new();

    /// <summary>
    /// <c>etcd.heartbeatIntervalMs</c>: raise it with <see cref="ElectionTimeoutMs"/> on slow disks, busy or emulated
    /// machines and high-latency links (etcd's tuning guide), or the leader changes every few seconds.
    /// </summary>
    public int HeartbeatIntervalMs { get; init; } = DefaultHeartbeatIntervalMs;

    /// <summary><c>etcd.electionTimeoutMs</c>: at least 5x the heartbeat, at most 50000 (etcd refuses anything else).</summary>
    public int ElectionTimeoutMs { get; init; } = DefaultElectionTimeoutMs;
}

/// <summary>
/// <c>etcd.backup</c>: every etcd member takes a snapshot on <see cref="Schedule"/> (a systemd OnCalendar
/// expression), checks it, and keeps the newest <see cref="Keep"/> in <see cref="Dir"/>.
/// </summary>
public sealed record EtcdBackupSpec
{
    /// <summary>Every six hours (systemd.time(7) calendar event).</summary>
    public const string DefaultSchedule = "*-*-* 00/6:00:00";

    public const int DefaultKeep = 8;

    public const string DefaultDir = "/data/k8s/etcd-backup";

    public string Schedule { get; init; } = DefaultSchedule;

    public int Keep { get; init; } = DefaultKeep;

    public string Dir { get; init; } = DefaultDir;
}
