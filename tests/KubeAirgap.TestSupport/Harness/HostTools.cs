namespace KubeAirgap.TestSupport.Harness;

/// <summary>
/// The host commands the end-to-end test and the Demo use, with the Debian package that provides each (data;
/// tests/install-test-deps.sh installs them all). <see cref="Missing"/> reports every absent one at once.
/// </summary>
public static class HostTools
{
    public sealed record Tool(string Command, string Package);

    /// <summary>The loopback mirror and registry (tests/e2e/mirror.sh) and the pipeline they feed.</summary>
    public static readonly IReadOnlyList<Tool> Mirror =
    [
        new("python3", "python3"),
        new("curl", "curl"),
        new("docker-registry", "docker-registry"),
        new("skopeo", "skopeo"),
        new("umoci", "umoci"),
        new("busybox", "busybox-static"),
        new("etcd", "etcd-server"),
        new("etcdctl", "etcd-client"),
        new("containerd", "containerd"),
        new("runc", "runc"),
        new("openssl", "openssl"),
        new("make", "build-essential"),
        new("cc", "build-essential"),
        new("gpg", "gnupg"),
    ];

    /// <summary>The mirror's arm64 content (Debian's arm64 .debs unpacked, the static kube-nginx stand-in) on top of <see cref="Mirror"/>.</summary>
    public static readonly IReadOnlyList<Tool> MirrorArm64 =
    [
        new("dpkg-deb", "dpkg"),
        new("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"),
    ];

    /// <summary>The VMs (tests/e2e/build-image.sh, tests/e2e/vms.sh) on top of <see cref="Mirror"/>.</summary>
    public static readonly IReadOnlyList<Tool> Vms =
    [
        .. Mirror,
        new("qemu-system-x86_64", "qemu-system-x86"),
        new("qemu-img", "qemu-utils"),
        new("debootstrap", "debootstrap"),
        new("mkfs.ext4", "e2fsprogs"),
        new("ip", "iproute2"),
    ];

    /// <summary>The tools of <paramref name="tools"/> not found on <paramref name="searchPath"/> (PATH-style list).</summary>
    public static IReadOnlyList<Tool> Missing(IEnumerable<Tool> tools, string searchPath)
    {
        var dirs = searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return tools.Where(t => !dirs.Any(d => File.Exists(Path.Combine(d, t.Command)))).ToList();
    }

    /// <summary>One message naming every missing command and the packages that bring them.</summary>
    public static string Describe(IReadOnlyList<Tool> missing) =>
        $"missing on this host: {string.Join(", ", missing.Select(t => t.Command))} " +
        $"(Debian packages: {string.Join(" ", missing.Select(t => t.Package).Distinct(StringComparer.Ordinal))}; run tests/install-test-deps.sh)";
}
