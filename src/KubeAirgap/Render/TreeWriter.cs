using KubeAirgap.Content;

namespace KubeAirgap.Render;

/// <summary>
/// Writes a node's rendered files into its tree with their modes. The tree is shared with the PKI engine (pki/,
/// kubeconfigs), so only our files are touched: each is written to a temporary name and renamed into place (a file
/// whose content and mode are already right is left alone), and files a previous render wrote but this one does not are
/// removed. The list of rendered files is kept next to the tree (<c>nodes/.&lt;node&gt;.rendered</c>), not inside it.
/// </summary>
public static class TreeWriter
{
    public static string ListFileOf(string treeDir)
    {
        var root = Path.GetFullPath(treeDir);
        return Path.Combine(Path.GetDirectoryName(root)!, $".{Path.GetFileName(root)}.rendered");
    }

    /// <summary>Writes the files; returns how many were created or changed.</summary>
    public static int Write(string treeDir, IReadOnlyList<RenderedFile> files)
    {
        var root = Path.GetFullPath(treeDir);
        Directory.CreateDirectory(root);
        var changed = 0;
        foreach (var file in files)
        {
            var target = Path.GetFullPath(Path.Combine(root, file.Path));
            if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"'{file.Path}' leaves the node tree");
            }

            if (AtomicFile.WriteIfChanged(target, file.Content, (UnixFileMode)file.Mode))
            {
                changed++;
            }
        }

        var list = ListFileOf(root);
        var current = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        if (File.Exists(list))
        {
            foreach (var stale in File.ReadAllLines(list).Where(p => p.Length > 0 && !current.Contains(p)))
            {
                var path = Path.GetFullPath(Path.Combine(root, stale));
                if (path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path))
                {
                    File.Delete(path);
                    changed++;
                }
            }
        }

        AtomicFile.WriteIfChanged(list, string.Concat(current.Order(StringComparer.Ordinal).Select(p => p + "\n")));
        return changed;
    }
}
