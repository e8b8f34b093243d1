namespace KubeAirgap.Render;

/// <summary>How to render: where the templates are, and where the node's file system is rooted.</summary>
public sealed record RenderOptions
{
    /// <summary>The templates/ directory of the repository.</summary>
    public required string TemplatesDir { get; init; }

    /// <summary>
    /// The staged (fetched and verified) Calico release manifest, patched into <c>addons/calico.yaml</c> on nodes that
    /// apply add-ons. Null leaves Calico out (a node without the control-plane role).
    /// </summary>
    public string? CalicoManifest { get; init; }

    /// <summary>
    /// Prefix for every absolute path the rendered files name (binaries, certificates, configs, data dirs). "/" on a
    /// real node; a temp directory when a test runs the rendered units in place (the installer's <c>--root</c> idea).
    /// </summary>
    public string NodeRoot { get; init; } = "/";

    /// <summary>
    /// The node-local address that etcd's local client listener, its metrics listener and kube-nginx bind. 127.0.0.1 on
    /// a real node; tests that run several "nodes" on one host give each its own loopback address.
    /// </summary>
    public string? LocalAddress { get; init; }

    /// <summary>
    /// Test only (<c>--test_relaxsupportedversions=true</c>): render although a pinned version is older than the
    /// Kubernetes release supports (the VM test uses Debian's containerd 1.6 with Kubernetes 1.36). Relaxes that check
    /// and nothing else.
    /// </summary>
    public bool RelaxSupportedVersions { get; init; }

    /// <summary>
    /// etcd members that join a running cluster (<see cref="Day2.Membership.EtcdJoiners"/>): their unit starts etcd with
    /// <c>--initial-cluster-state=existing</c>, after the installer's <c>etcdctl member add</c>. Every other member says
    /// <c>new</c> (the flag is read only when the data directory is empty).
    /// </summary>
    public IReadOnlyCollection<string> EtcdJoiners { get; init; } = [];
}
