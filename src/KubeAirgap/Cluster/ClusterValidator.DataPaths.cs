using KubeAirgap.Diagnostics;
using System.Text.RegularExpressions;

namespace KubeAirgap.Cluster;

/// <summary>
/// The rules for the data paths (paths.prefix, etcdDataDir, etcdWalDir, k8sDir, containerdDir): the installer
/// creates them and <c>uninstall --purge</c> deletes them, so each must be one normalised absolute path of plain
/// characters that is not a system directory. Kept apart from the field rules so both can grow independently.
/// </summary>
public static partial class ClusterValidator
{
    /// <summary>
    /// Directories a data path must not be: the root, the FHS top-level folders, and the shared folders below
    /// /usr and /var that other software owns. A folder below one of them (e.g. /var/lib/etcd) is fine.
    /// </summary>
    public static readonly IReadOnlySet<string> SystemDirectories = new HashSet<string>(StringComparer.Ordinal)
    {
        "/", "/bin", "/boot", "/data", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/lost+found",
        "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp", "/usr", "/var",
        "/usr/bin", "/usr/include", "/usr/lib", "/usr/lib64", "/usr/libexec", "/usr/local", "/usr/local/bin",
        "/usr/local/lib", "/usr/local/sbin", "/usr/sbin", "/usr/share", "/usr/src",
        "/var/backups", "/var/cache", "/var/lib", "/var/local", "/var/lock", "/var/log", "/var/mail", "/var/opt",
        "/var/run", "/var/spool", "/var/tmp",
        "/etc/systemd", "/etc/systemd/system", "/var/lib/containerd", "/var/lib/kubelet",
    };

    private static void CheckDataPaths(ClusterSpec spec, List<Diagnostic> d)
    {
        var paths = spec.Paths;
        foreach (var (value, key) in new[]
        {
            (paths.Prefix, "prefix"), (paths.EtcdDataDir, "etcdDataDir"), (paths.EtcdWalDir, "etcdWalDir"),
            (paths.K8sDir, "k8sDir"), (paths.ContainerdDir, "containerdDir"),
        })
        {
            if (DataPathProblem(value) is { } problem)
            {
                d.Add(spec.At($"paths.{key}").Error($"'{value}' {problem}"));
            }
        }

        if (paths.KubeletDir is { } kubeletDir && DataPathProblem(kubeletDir) is { } kubeletProblem)
        {
            d.Add(spec.At("paths.kubeletDir").Error($"'{kubeletDir}' {kubeletProblem}"));
        }
    }

    /// <summary>Why <paramref name="path"/> cannot be a data path, or null.</summary>
    public static string? DataPathProblem(string path)
    {
        if (!path.StartsWith('/'))
        {
            return "is not an absolute path";
        }

        if (path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "contains whitespace; use a path without spaces, tabs or newlines";
        }

        if (!PlainPath().IsMatch(path))
        {
            var odd = string.Concat(path.Where(c => !PlainPath().IsMatch("/" + c)).Distinct());
            return $"contains {odd}: only letters, digits and . _ - + / are allowed (no glob characters such as * ? [ ] {{ }}, no ~ or $)";
        }

        var parts = path.Split('/');
        if (parts.Contains("..") || parts.Contains(".") || (path.Length > 1 && (path.EndsWith('/') || path.Contains("//", StringComparison.Ordinal))))
        {
            return "is not a normalised path (no '.', '..', '//' or trailing '/')";
        }

        if (SystemDirectories.Contains(path))
        {
            return "is a system directory; uninstall --purge would delete it: use a directory of its own below it (e.g. /var/lib/kube-airgap/etcd)";
        }

        return null;
    }

    [GeneratedRegex("^/[A-Za-z0-9._+/-]*$")]
    private static partial Regex PlainPath();
}
