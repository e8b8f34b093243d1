using System.Text.RegularExpressions;

namespace KubeAirgap.Nginx;

/// <summary>
/// Where a kube-nginx binary can run: it may depend on libc alone (the dynamic loader and the vDSO are part of
/// it); the highest GLIBC_x.y symbol version it needs is the oldest glibc a node may have.
/// </summary>
public static partial class Portability
{
    /// <summary>The shared objects a portable binary may name: libc itself and the dynamic loader.</summary>
    public static readonly IReadOnlyList<string> AllowedLibraries = ["libc.so.6", "ld-linux-*.so.*", "ld-linux.so.*", "linux-vdso.so.*"];

    public static PortabilityReport Check(ElfFile elf, TargetArch target)
    {
        var problems = new List<string>();
        if (elf.Machine != target.Machine)
        {
            problems.Add($"it is built for ELF machine {elf.Machine} ({(ushort)elf.Machine}), not {target.Name} ({target.Machine})");
        }

        var extra = elf.Needed.Where(n => !IsAllowed(n)).ToList();
        if (extra.Count > 0)
        {
            problems.Add($"it needs shared libraries other than libc: {string.Join(", ", extra)} (kube-nginx must depend on libc only; "
                + "configure with --without-http so no PCRE, zlib or OpenSSL is linked, or set [Nginx] Static=true)");
        }

        var privateVersions = elf.VersionNames.Where(v => v == "GLIBC_PRIVATE").Distinct().ToList();
        if (privateVersions.Count > 0)
        {
            problems.Add("it needs GLIBC_PRIVATE symbols, which tie it to one exact glibc build");
        }

        var glibc = elf.VersionNames
            .Select(v => GlibcVersion().Match(v))
            .Where(m => m.Success)
            .Select(m => Version.Parse(m.Groups[1].Value))
            .DefaultIfEmpty()
            .Max();
        return new PortabilityReport(elf.Needed, glibc is null ? null : Format(glibc), problems);
    }

    public static bool IsAllowed(string library) =>
        AllowedLibraries.Any(pattern => Regex.IsMatch(library, "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$"));

    private static string Format(Version v) => v.Build >= 0 ? $"{v.Major}.{v.Minor}.{v.Build}" : $"{v.Major}.{v.Minor}";

    [GeneratedRegex(@"^GLIBC_(\d+\.\d+(?:\.\d+)?)$")]
    private static partial Regex GlibcVersion();
}

/// <summary>The libraries a binary names, the glibc it needs (null: none, e.g. static), and why it is not portable (empty: it is).</summary>
public sealed record PortabilityReport(IReadOnlyList<string> NeededLibraries, string? Glibc, IReadOnlyList<string> Problems)
{
    public bool IsPortable => Problems.Count == 0;
}
