namespace KubeAirgap.Content;

/// <summary>
/// The files below a folder, as the relative paths a payload or a bundle names them by, never following a symbolic
/// link: a link anywhere below the folder (the folder itself included) is refused, since a linked directory would
/// pull build-host files in. Fetch's check of a staged payload and Bundle's packing walk the same tree.
/// </summary>
public static class FileTree
{
    /// <summary>
    /// Every file below <paramref name="root"/>/<paramref name="sub"/> that <paramref name="include"/> keeps, as
    /// <c>sub/...</c> (forward slashes) with its full path, sorted by the relative path; none when the folder is absent.
    /// </summary>
    public static IReadOnlyList<(string Path, string FullPath)> Below(string root, string sub, Func<string, bool>? include = null)
    {
        var dir = System.IO.Path.Combine(root, sub);
        if (new DirectoryInfo(dir).LinkTarget is { } target)
        {
            throw new InvalidDataException($"{dir}: a symbolic link (to {target}); Bundle packs no symlinks, a linked folder would pull in build-host files");
        }

        if (!Directory.Exists(dir))
        {
            return [];
        }

        return Walk(dir)
            .Select(f => (Path: System.IO.Path.GetRelativePath(root, f).Replace('\\', '/'), FullPath: f))
            .Where(x => include?.Invoke(x.Path) ?? true)
            .OrderBy(x => x.Path, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Every file below <paramref name="dir"/>, never following a symlink (one is an error).</summary>
    private static IEnumerable<string> Walk(string dir)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is { } target)
            {
                throw new InvalidDataException($"{entry.FullName}: a symbolic link (to {target}); Bundle packs no symlinks, a linked folder would pull in build-host files; put the file itself there");
            }

            if (entry is DirectoryInfo sub)
            {
                foreach (var file in Walk(sub.FullName))
                {
                    yield return file;
                }
            }
            else
            {
                yield return entry.FullName;
            }
        }
    }
}
