using Build.Settings;

namespace Build;

/// <summary>Where the pipeline reads and writes, from cake.config's [Paths] section, relative to <paramref name="root"/>.</summary>
public sealed class Paths(string root, PathsSettings settings)
{
    /// <summary>Content-addressed download cache, shared between clusters ([Paths] Cache).</summary>
    public string Cache => Full(settings.Cache);

    /// <summary>Build output root ([Paths] Artifacts).</summary>
    public string Artifacts => Full(settings.Artifacts);

    /// <summary>Per-cluster secrets kept between builds ([Paths] State); never deleted by Clean.</summary>
    public string StateRoot => Full(settings.State);

    public string Logs => System.IO.Path.Combine(Artifacts, "logs");

    public string Templates => System.IO.Path.Combine(root, "templates");

    public string Installer => System.IO.Path.Combine(root, "src", "installer");

    public string State(string cluster) => System.IO.Path.Combine(StateRoot, cluster);

    public string ClusterArtifacts(string cluster) => System.IO.Path.Combine(Artifacts, cluster);

    /// <summary>The rendered file tree of one node, which the bundle packs.</summary>
    public string NodeTree(string cluster, string node) => System.IO.Path.Combine(ClusterArtifacts(cluster), "nodes", node);

    /// <summary>Binaries and images shared by the nodes of one arch and role set (see PayloadKey).</summary>
    public string Payload(string cluster, string payloadKey) => System.IO.Path.Combine(ClusterArtifacts(cluster), "payload", payloadKey);

    private string Full(string path) => System.IO.Path.GetFullPath(path, root);
}
