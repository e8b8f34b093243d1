namespace KubeAirgap.Render;

/// <summary>
/// Writes a node's rendered files into its tree with their modes. The tree is shared with the PKI engine (pki/,
/// kubeconfigs), so only our files are touched: each is written to a temporary name and renamed into place, and files a
/// previous render wrote but this one does not (listed in <see cref="ListFile"/>) are removed.
/// </summary>
public static class TreeWriter
{
    /// <summary>The list of files the last render wrote, kept in the tree (not packed: the bundle skips dot-files).</summary>
    public const string ListFile = ".rendered-files";

    public static void Write(string treeDir, IReadOnlyList<RenderedFile> files)
    {
        var root = Path.GetFullPath(treeDir);
        Directory.CreateDirectory(root);
        foreach (var file in files)
        {
            var target = Path.GetFullPath(Path.Combine(root, file.Path));
            if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"'{file.Path}' leaves the node tree");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var temp = target + $".tmp-{Environment.ProcessId}";
            File.WriteAllText(temp, file.Content);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, (UnixFileMode)file.Mode);
            }

            File.Move(temp, target, overwrite: true);
        }

        var list = Path.Combine(root, ListFile);
        var current = files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        if (File.Exists(list))
        {
            foreach (var stale in File.ReadAllLines(list).Where(p => p.Length > 0 && !current.Contains(p)))
            {
                var path = Path.GetFullPath(Path.Combine(root, stale));
                if (path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && File.Exists(path))
                {
                    File.Delete(path);
                }
            }
        }

        File.WriteAllLines(list, current.Order(StringComparer.Ordinal));
    }
}
