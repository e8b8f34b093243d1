namespace KubeAirgap.Cluster;

/// <summary>The inventory's <c>etcd:</c> section.</summary>
public sealed record EtcdSpec
{
    public EtcdBackupSpec Backup { get; init; } = new();
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
