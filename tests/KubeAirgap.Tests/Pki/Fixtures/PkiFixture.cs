using KubeAirgap.Cluster;
using KubeAirgap.Pki;
using KubeAirgap.Roles;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Pki.Fixtures;

/// <summary>A clock the test sets.</summary>
public sealed class TestClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>
/// A 3-node cluster on 127.0.1.1-3 (every node etcd + control-plane + worker, unless changed), a temp state/ and
/// artifacts/ directory, a pinned clock, and a log that records every line the engine writes.
/// </summary>
public sealed class PkiFixture : IDisposable
{
    private readonly TempDirectory _dir = new("kag-pki");

    public PkiFixture(string keyAlgorithm = "ecdsa-p256")
    {
        Spec = new ClusterSpec
        {
            Name = "pkitest",
            KubernetesVersion = "1.36.3",
            Pki = new PkiSpec { KeyAlgorithm = keyAlgorithm },
            Nodes =
            [
                Node("k8s-01", "127.0.1.1"),
                Node("k8s-02", "127.0.1.2"),
                Node("k8s-03", "127.0.1.3"),
            ],
        };
    }

    public static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    public ClusterSpec Spec { get; set; }

    public TestClock Clock { get; } = new(Start);

    public string? ImportDir { get; set; }

    public List<string> Log { get; } = [];

    public string Root => _dir.Path;

    public string StateDir => _dir.Combine("state", Spec.Name);

    public string NodeTree(string node) => _dir.Combine("artifacts", Spec.Name, "nodes", node);

    public PkiEngine CreateEngine() => new(Spec, StateDir, Clock, Log.Add) { ImportDir = ImportDir };

    /// <summary>artifacts/&lt;cluster&gt;/: where the PKI build writes its manifest.</summary>
    public string ArtifactsDir => _dir.Combine("artifacts", Spec.Name);

    public PkiResult Run() => PkiBuild.Run(CreateEngine(), Spec, NodeTree, ArtifactsDir);

    public static NodeSpec Node(string name, string ip, params NodeRole[] roles) =>
        new(name, ip, "amd64", (roles.Length == 0 ? [NodeRole.Etcd, NodeRole.ControlPlane, NodeRole.Worker] : roles).ToHashSet());

    /// <summary>Writes a PEM text to a file under the fixture's directory, for openssl and etcd.</summary>
    public string WriteFile(string relative, string text) => _dir.Write(relative, text);

    public void Dispose() => _dir.Dispose();
}
