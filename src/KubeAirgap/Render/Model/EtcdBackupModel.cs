using KubeAirgap.Cluster;
using KubeAirgap.Layout;
using KubeAirgap.Render.Versions;

namespace KubeAirgap.Render.Model;

/// <summary>
/// The etcd snapshot timer of one member (templates/systemd/etcd-backup.*, templates/etcd/etcd-backup.sh): where the
/// script is, the schedule, how many snapshots stay, the member's local client URL and etcdctl's client certificate,
/// and which tool checks a snapshot (<c>etcd.snapshotTool</c> in the version table).
/// </summary>
public sealed record EtcdBackupModel(
    string Script,
    string Schedule,
    int Keep,
    string Dir,
    string Endpoint,
    string ClientCert,
    string ClientKey,
    string SnapshotTool)
{
    /// <summary>Where the rendered backup script goes on the node.</summary>
    public const string ScriptPath = "/etc/kube-airgap/etcd-backup.sh";

    public static EtcdBackupModel Of(ClusterSpec spec, ResolvedVersions versions, string nodeRoot, string endpoint)
    {
        var root = nodeRoot.TrimEnd('/');
        var backup = spec.Etcd.Backup;
        return new EtcdBackupModel(
            root + ScriptPath,
            backup.Schedule,
            backup.Keep,
            root + backup.Dir.TrimEnd('/'),
            endpoint,
            root + NodeLayout.EtcdHealthcheckClientCert,
            root + NodeLayout.EtcdHealthcheckClientKey,
            versions.Setting("etcd.snapshotTool"));
    }
}
