using KubeAirgap.Cluster;

namespace KubeAirgap.Deploy;

/// <summary>What the rollout files are written from: the inventory, the layout Bundle wrote, and where.</summary>
/// <param name="Spec">cluster.yaml as loaded and validated.</param>
/// <param name="OutputDir">artifacts/&lt;cluster&gt;/: the tarballs the playbook copies; the files go into its deploy/.</param>
/// <param name="TemplatesDir">the repository's templates/ (templates/deploy/ holds the rollout's templates).</param>
/// <param name="Fleet">true when Bundle wrote the fleet layout: each node gets its payload tarball and its node tarball.</param>
public sealed record DeployRequest(ClusterSpec Spec, string OutputDir, string TemplatesDir, bool Fleet)
{
    public const string DirName = "deploy";

    public string DeployDir => Path.Combine(OutputDir, DirName);
}
