namespace KubeAirgap.Render.Versions;

/// <summary>
/// Every flag and setting that differs between the versions we support, in one table (see docs/render.md).
/// Templates never compare versions: they loop over the flags and read the settings resolved from here.
/// </summary>
public static class VersionTable
{
    /// <summary>Flags appended to a unit's ExecStart when the component's version is in range.</summary>
    public static readonly IReadOnlyList<VersionRule> Flags =
    [
        // etcd 3.4 still defaults to capnslog; 3.5 made zap the default and deprecated capnslog.
        new(Versioned.Etcd, "etcd", "[3.4,3.5)", "--logger=zap", "etcd CHANGELOG-3.5: zap is the default logger, capnslog deprecated"),
        new(Versioned.Etcd, "etcd", "[3.4,)", "--log-outputs=stderr", "etcd 3.4+ --log-outputs (zap); journald reads stderr"),

        // The corruption check and watch progress notifications are "experimental" flags up to 3.5;
        // 3.6 renamed them (feature gate / plain flag) and deprecated the experimental names.
        new(Versioned.Etcd, "etcd", "[3.4,3.6)", "--experimental-initial-corrupt-check=true", "etcd 3.4/3.5 flag; kubeadm sets it"),
        new(Versioned.Etcd, "etcd", "[3.6,)", "--feature-gates=InitialCorruptCheck=true", "etcd 3.6 server/features (InitialCorruptCheck gate, alpha v3.6); kubeadm passes it for etcd 3.6"),
        new(Versioned.Etcd, "etcd", "[3.4,3.6)", "--experimental-watch-progress-notify-interval=5s", "etcd 3.4/3.5 flag; kubeadm sets it"),
        new(Versioned.Etcd, "etcd", "[3.6,)", "--watch-progress-notify-interval=5s", "etcd 3.6 flag (was --experimental-); kubeadm passes watch-progress-notify-interval=5s for etcd 3.6"),

        // 3.6 lowered the default snapshot count from 100,000 to 10,000: render it on older versions so every
        // version keeps the same (smaller) memory footprint.
        new(Versioned.Etcd, "etcd", "[3.4,3.6)", "--snapshot-count=10000", "etcd CHANGELOG-3.6: --snapshot-count default changed 100000 -> 10000"),
    ];

    /// <summary>Named settings the model reads; the last matching row of a key wins.</summary>
    public static readonly IReadOnlyList<VersionRule> Settings =
    [
        // containerd 2.0 reads config version 3 (CRI split into io.containerd.cri.v1.images / .runtime);
        // 1.x reads version 2. containerd 2.3 uses version 4 internally but migrates v3 itself.
        new(Versioned.Containerd, "containerd.configTemplate", "[1.5,2.0)", "containerd/config.v2.toml.scriban", "containerd 1.x: config version 2"),
        new(Versioned.Containerd, "containerd.configTemplate", "[2.0,)", "containerd/config.v3.toml.scriban", "containerd docs/cri/config.md (release/2.x): version = 3"),

        // CNI binary directories: bin_dir until 2.0, bin_dirs (a list) since 2.1.
        new(Versioned.Containerd, "containerd.cniBinKey", "[1.5,2.1)", "bin_dir", "containerd release/2.0 docs/cri/config.md: bin_dir only"),
        new(Versioned.Containerd, "containerd.cniBinKey", "[2.1,)", "bin_dirs", "containerd release/2.2 docs/cri/config.md: bin_dir deprecated since v2.1, use bin_dirs"),

        // Checking a snapshot: etcdctl up to 3.4; 3.5 moved the offline snapshot commands to etcdutl and deprecated
        // etcdctl's, 3.6 removed them from etcdctl.
        new(Versioned.Etcd, "etcd.snapshotTool", "[3.4,3.5)", "etcdctl", "etcd 3.4: etcdctl snapshot status/restore"),
        new(Versioned.Etcd, "etcd.snapshotTool", "[3.5,)", "etcdutl", "etcd CHANGELOG-3.5/3.6: etcdctl snapshot status/restore deprecated in 3.5, removed in 3.6; use etcdutl"),

        // kubelet: since 1.35 it refuses cgroup v1 hosts unless told otherwise; say so explicitly (kubespray
        // renders failCgroupV1 only for kube_version >= 1.35).
        new(Versioned.Kubernetes, "kubelet.failCgroupV1", "[1.35,)", "true", "CHANGELOG-1.35 / kubespray kubelet-config template"),

        // kube-proxy's ipvs mode: deprecated in 1.35 (KEP-5495); rendering it only warns.
        new(Versioned.Kubernetes, "kubeProxy.ipvsDeprecated", "[1.35,)", "true", "KEP-5495: ipvs mode deprecated in v1.35"),

        // 1.35 is the last Kubernetes release that supports containerd 1.x (EKS 1.35 notes); from 1.36 a
        // containerd 1.x pin is refused at render time.
        new(Versioned.Kubernetes, "containerd.minimumMajor", "[1.0,1.36)", "1", "containerd 1.x still supported up to Kubernetes 1.35"),
        new(Versioned.Kubernetes, "containerd.minimumMajor", "[1.36,)", "2", "EKS 1.35 release notes: 1.35 is the last release supporting containerd 1.x"),
    ];
}
