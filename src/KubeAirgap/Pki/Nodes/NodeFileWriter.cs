using KubeAirgap.Pki.State;

namespace KubeAirgap.Pki.Nodes;

/// <summary>Writes a node's PKI files into its tree (temp name, mode, rename) and removes PKI files it no longer gets.</summary>
public static class NodeFileWriter
{
    /// <returns>How many files were written or removed (0 when the tree was already up to date).</returns>
    public static int Write(string nodeTree, IReadOnlyList<NodeFile> files, IEnumerable<string> allPkiNodePaths)
    {
        var changes = 0;
        var wanted = files.Select(f => f.BundlePath).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in allPkiNodePaths.Select(NodeFile.BundlePathOf).Where(p => !wanted.Contains(p)))
        {
            var path = Path.Combine(nodeTree, stale);
            if (File.Exists(path))
            {
                File.Delete(path);
                changes++;
            }
        }

        foreach (var file in files)
        {
            if (SecureFile.Write(Path.Combine(nodeTree, file.BundlePath), file.Content, file.Mode))
            {
                changes++;
            }
        }

        return changes;
    }
}
