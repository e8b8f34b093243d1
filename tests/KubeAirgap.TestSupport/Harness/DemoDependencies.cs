namespace KubeAirgap.TestSupport.Harness;

/// <summary>
/// What the loopback mirror needs on the build machine for a set of node arches (commands on PATH, the nginx source
/// and Debian's arm64 packages in the test dependency directory), and how tests/install-test-deps.sh --for=demo
/// brings them: run here when the machine allows it (root or sudo, and apt-get), or printed for the user.
/// </summary>
public sealed class DemoDependencies(string repoRoot, string depsDir, string searchPath)
{
    /// <summary>Debian's arm64 packages the mirror unpacks (tests/install-test-deps.sh downloads them, not installs).</summary>
    public static readonly IReadOnlyList<string> Arm64Packages =
        ["etcd-server", "etcd-client", "containerd", "runc", "containernetworking-plugins", "busybox-static"];

    public const string NginxSource = "nginx_1.22.1.orig.tar.gz";

    /// <summary>The static C library of Debian's aarch64 cross toolchain (package libc6-dev-arm64-cross).</summary>
    public const string Arm64StaticLibc = "/usr/aarch64-linux-gnu/lib/libc.a";

    public string Script => Path.Combine(repoRoot, "tests", "install-test-deps.sh");

    /// <summary>The command that installs everything, exactly as a user would type it.</summary>
    public string Command => $"sudo bash {Script} --for=demo";

    /// <summary>Every missing command, file or package for <paramref name="arches"/>, one description each.</summary>
    public IReadOnlyList<string> Missing(IReadOnlyCollection<string> arches)
    {
        var arm64 = arches.Contains("arm64");
        var tools = arm64 ? [.. HostTools.Mirror, .. HostTools.MirrorArm64] : HostTools.Mirror;
        var missing = HostTools.Missing(tools, searchPath).Select(t => $"{t.Command} (Debian package {t.Package})").ToList();
        if (!File.Exists(Path.Combine(depsDir, NginxSource)))
        {
            missing.Add($"{Path.Combine(depsDir, NginxSource)} (the nginx 1.22.1 release source, from Debian's source package)");
        }

        if (arm64)
        {
            if (!File.Exists(Arm64StaticLibc))
            {
                missing.Add($"{Arm64StaticLibc} (Debian package libc6-dev-arm64-cross)");
            }

            var debs = Path.Combine(depsDir, "arm64");
            missing.AddRange(Arm64Packages
                .Where(p => !Directory.Exists(debs) || Directory.GetFiles(debs, $"{p}_*_arm64.deb").Length == 0)
                .Select(p => $"{Path.Combine(debs, p)}_*_arm64.deb (Debian's arm64 package, downloaded, not installed)"));
        }

        return missing;
    }

    /// <summary>Whether this machine can run the install itself: apt-get on PATH, and root or sudo.</summary>
    public bool CanInstall(bool isRoot) =>
        HostTools.Missing([new HostTools.Tool("apt-get", "apt")], searchPath).Count == 0
        && (isRoot || HostTools.Missing([new HostTools.Tool("sudo", "sudo")], searchPath).Count == 0);

    /// <summary>The message when it cannot: what is missing and the exact command.</summary>
    public string CannotInstall(IReadOnlyList<string> missing, bool isRoot) =>
        $"missing on this host: {string.Join(", ", missing)}. "
        + (HostTools.Missing([new HostTools.Tool("apt-get", "apt")], searchPath).Count > 0
            ? "apt-get is not on PATH, so they cannot be installed from here"
            : isRoot ? "they cannot be installed from here" : "not running as root and sudo is not on PATH, so they cannot be installed from here")
        + $". Install them with:\n  {Command}\nthen run the Demo again.";
}
