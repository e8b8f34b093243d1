using System.Runtime.InteropServices;

namespace KubeAirgap.Nginx;

/// <summary>
/// One row per node arch (the names cluster.yaml uses): its ELF machine, the .NET view of the build host, the GNU
/// triple of Debian's cross compiler and the Debian/RHEL packages that provide it, and nginx's --crossbuild name.
/// </summary>
public sealed record TargetArch(
    string Name,
    ElfMachine Machine,
    Architecture Runtime,
    string GnuTriple,
    string DebianCrossPackage,
    string NginxPlatform)
{
    public static readonly IReadOnlyList<TargetArch> All =
    [
        new("amd64", ElfMachine.X86_64, Architecture.X64, "x86_64-linux-gnu", "gcc-x86-64-linux-gnu", "Linux::x86_64"),
        new("arm64", ElfMachine.AArch64, Architecture.Arm64, "aarch64-linux-gnu", "gcc-aarch64-linux-gnu", "Linux::aarch64"),
    ];

    /// <summary>The arch of the machine running the build.</summary>
    public static TargetArch Host => All.FirstOrDefault(a => a.Runtime == RuntimeInformation.OSArchitecture)
        ?? throw new KubeNginxException($"the build machine's arch ({RuntimeInformation.OSArchitecture}) is not one of {string.Join(", ", All.Select(a => a.Name))}");

    public static TargetArch Of(string name) => All.FirstOrDefault(a => a.Name == name)
        ?? throw new KubeNginxException($"unknown node arch '{name}' (known: {string.Join(", ", All.Select(a => a.Name))})");

    /// <summary>The suggested cross compiler command, e.g. <c>aarch64-linux-gnu-gcc</c>.</summary>
    public string CrossCompiler => $"{GnuTriple}-gcc";

    public override string ToString() => Name;
}
