namespace Build;

/// <summary>Where the pipeline reads and writes, from cake.config's [Paths] section.</summary>
public sealed class Paths(BuildContext context)
{
    /// <summary>Content-addressed download cache, shared between clusters ([Paths] Cache).</summary>
    public string Cache => Full(context.Setting("Paths", "Cache", ".cache"));

    /// <summary>Build output root ([Paths] Artifacts).</summary>
    public string Artifacts => Full(context.Setting("Paths", "Artifacts", "artifacts"));

    /// <summary>Per-cluster secrets kept between builds ([Paths] State); never deleted by Clean.</summary>
    public string StateRoot => Full(context.Setting("Paths", "State", "state"));

    public string Logs => System.IO.Path.Combine(Artifacts, "logs");

    public string Templates => System.IO.Path.Combine(context.Root, "templates");

    public string Installer => System.IO.Path.Combine(context.Root, "src", "installer");

    public string State(string cluster) => System.IO.Path.Combine(StateRoot, cluster);

    public string ClusterArtifacts(string cluster) => System.IO.Path.Combine(Artifacts, cluster);

    /// <summary>The rendered file tree of one node, which the bundle packs.</summary>
    public string NodeTree(string cluster, string node) => System.IO.Path.Combine(ClusterArtifacts(cluster), "nodes", node);

    /// <summary>Binaries and images shared by the nodes of one arch and role set (see PayloadKey).</summary>
    public string Payload(string cluster, string payloadKey) => System.IO.Path.Combine(ClusterArtifacts(cluster), "payload", payloadKey);

    private string Full(string path) => System.IO.Path.GetFullPath(path, context.Root);
}
