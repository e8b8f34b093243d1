using System.Security.Cryptography;
using System.Text.RegularExpressions;
using KubeAirgap.Content;

namespace KubeAirgap.Nginx;

/// <summary>
/// Builds kube-nginx from a verified nginx source tarball: extract, <c>./configure</c> with the guide's stream-only
/// flags, <c>make</c>, check the binary is portable, and keep it in the cache under its <see cref="BuildKey"/>.
/// A second build with the same key compiles nothing.
/// </summary>
public static partial class NginxBuilder
{
    public const string BinaryName = "kube-nginx";

    public static NginxBuild Build(string sourceTarball, string sourceSha256, NginxBuildOptions options)
    {
        var expected = sourceSha256.Trim().ToLowerInvariant();
        if (!File.Exists(sourceTarball))
        {
            throw new KubeNginxException($"nginx source tarball not found: {sourceTarball}");
        }

        var actual = Sha256Hex.OfFile(sourceTarball);
        if (actual != expected)
        {
            throw new KubeNginxException($"nginx source tarball {sourceTarball}: sha256 mismatch: expected {expected}, actual {actual}");
        }

        var toolchain = Toolchain.Resolve(options);
        var args = ConfigureFlags.For(options, toolchain);
        var key = new BuildKey(expected, args, toolchain.Identity, toolchain.Target.Name);
        var entry = NginxCache.EntryFor(options.CacheDir, key);
        var cached = NginxCache.TryLoad(entry, options.Log);
        if (cached is not null)
        {
            options.Log($"kube-nginx {cached.Version} for {cached.Arch}: cache hit {entry} (nothing compiled)");
            return new NginxBuild(Path.Combine(entry, BinaryName), cached, CacheHit: true, entry);
        }

        options.Log($"kube-nginx for {toolchain.Target.Name}: cache miss (key {key.Hash[..16]}); compiling with {toolchain.Summary}");
        var built = Compile(sourceTarball, options, toolchain, args, key);
        var stored = NginxCache.Store(entry, built.Binary, built.Metadata, options.Log);
        Directory.Delete(built.WorkDir, recursive: true);
        return new NginxBuild(Path.Combine(stored, BinaryName), built.Metadata, CacheHit: false, stored);
    }

    /// <summary>
    /// Uses a kube-nginx built elsewhere (e.g. on a machine of the node's arch): its sha256 must be the pinned one
    /// (<c>[Nginx] PrebuiltSha256_&lt;arch&gt;</c>), and it must be an ELF binary of <paramref name="arch"/> that depends on
    /// libc only and is nginx <paramref name="version"/>.
    /// </summary>
    public static NginxBuild Prebuilt(string binaryPath, string arch, string version, string? pinnedSha256)
    {
        if (!File.Exists(binaryPath))
        {
            throw new KubeNginxException($"prebuilt kube-nginx for {arch} not found: {binaryPath}");
        }

        var actual = Sha256Hex.OfFile(binaryPath);
        if (string.IsNullOrWhiteSpace(pinnedSha256))
        {
            throw new KubeNginxException(
                $"prebuilt kube-nginx {binaryPath} for {arch} is not pinned: set [Nginx] PrebuiltSha256_{arch}={actual} in cake.config once you have checked where it came from");
        }

        if (!string.Equals(pinnedSha256.Trim(), actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new KubeNginxException($"prebuilt kube-nginx {binaryPath} for {arch}: sha256 mismatch: pinned {pinnedSha256.Trim()}, actual {actual}");
        }

        var target = TargetArch.Of(arch);
        var elf = ElfFile.Read(binaryPath);
        var report = Portability.Check(elf, target);
        if (!report.IsPortable)
        {
            throw new KubeNginxException($"prebuilt kube-nginx {binaryPath} cannot be used: {string.Join("; ", report.Problems)}");
        }

        var marker = System.Text.Encoding.ASCII.GetBytes($"nginx/{version}\0");
        if (File.ReadAllBytes(binaryPath).AsSpan().IndexOf(marker) < 0)
        {
            throw new KubeNginxException($"prebuilt kube-nginx {binaryPath} is not nginx {version} (the pinned version): its version string 'nginx/{version}' is missing");
        }

        var metadata = new KubeNginxMetadata(version, null, [], "prebuilt", target.Name, elf.Needed.Count == 0, report.Glibc,
            report.NeededLibraries, Sha256Hex.OfFile(binaryPath), null);
        return new NginxBuild(Path.GetFullPath(binaryPath), metadata, CacheHit: false, Path.GetFullPath(binaryPath));
    }

    private static (string Binary, KubeNginxMetadata Metadata, string WorkDir) Compile(
        string sourceTarball, NginxBuildOptions options, Toolchain toolchain, IReadOnlyList<string> args, BuildKey key)
    {
        var env = options.ChildEnvironment;
        var arch = toolchain.Target.Name;
        var workDir = Path.Combine(options.WorkDir, $"{arch}-{key.Hash[..16]}");
        if (Directory.Exists(workDir))
        {
            Directory.Delete(workDir, recursive: true);
        }

        Directory.CreateDirectory(workDir);
        if (options.Static)
        {
            ProbeStaticLinking(toolchain, workDir, env);
        }

        var tar = Toolchain.Which("tar", options.EffectivePath)
            ?? throw new KubeNginxException($"'tar' not found on PATH ({options.EffectivePath}): it extracts the nginx source");
        BuildStep.Run("extracting the nginx source", tar, ["-xzf", Path.GetFullPath(sourceTarball), "-C", workDir], workDir,
            Path.Combine(options.LogDir, $"kube-nginx-{arch}-extract.log"), env);
        var sourceDir = FindSourceDir(workDir, sourceTarball);
        var version = ReadVersion(sourceDir);

        options.Log($"./configure {string.Join(' ', args)}");
        BuildStep.Run("nginx ./configure", Path.Combine(sourceDir, "configure"), args, sourceDir,
            Path.Combine(options.LogDir, $"kube-nginx-{arch}-configure.log"), env);
        var jobs = Math.Max(1, options.MakeJobs);
        options.Log($"make -j{jobs}");
        BuildStep.Run("nginx make", toolchain.MakePath, [$"-j{jobs}"], sourceDir,
            Path.Combine(options.LogDir, $"kube-nginx-{arch}-make.log"), env);

        var binary = Path.Combine(sourceDir, "objs", "nginx");
        if (!File.Exists(binary))
        {
            throw new KubeNginxException($"make succeeded but produced no binary at {binary}");
        }

        var elf = ElfFile.Read(binary);
        var report = Portability.Check(elf, toolchain.Target);
        if (!report.IsPortable)
        {
            throw new KubeNginxException($"the built kube-nginx ({binary}) is not portable: {string.Join("; ", report.Problems)}");
        }

        var metadata = new KubeNginxMetadata(version, key.SourceSha256, args, toolchain.Summary, arch, options.Static, report.Glibc,
            report.NeededLibraries, Sha256Hex.OfFile(binary), key.Hash);
        options.Log($"built kube-nginx {version} for {arch}: needs {(report.Glibc is null ? "no shared glibc" : "glibc >= " + report.Glibc)}, "
            + $"libraries: {(report.NeededLibraries.Count == 0 ? "none (static)" : string.Join(", ", report.NeededLibraries))}");
        return (binary, metadata, workDir);
    }

    private static void ProbeStaticLinking(Toolchain toolchain, string workDir, IReadOnlyDictionary<string, string> env)
    {
        var probe = Path.Combine(workDir, "static-probe.c");
        File.WriteAllText(probe, "int main(void) { return 0; }\n");
        if (BuildStep.Probe(toolchain.CompilerPath, ["-static", "-o", Path.Combine(workDir, "static-probe"), probe], env) is null)
        {
            throw new KubeNginxException(
                $"[Nginx] Static=true, but '{toolchain.Compiler}' cannot link statically (no static libc: Debian: libc6-dev; "
                + "RHEL: glibc-static from the CRB/PowerTools repository). Install it, or set Static=false.");
        }
    }

    private static string FindSourceDir(string workDir, string tarball)
    {
        var candidates = new[] { workDir }.Concat(Directory.GetDirectories(workDir))
            .Where(d => File.Exists(Path.Combine(d, "configure")) && Directory.Exists(Path.Combine(d, "src", "core")))
            .ToList();
        return candidates.Count == 1
            ? candidates[0]
            : throw new KubeNginxException($"{tarball} does not look like an nginx source release: expected one top-level directory with configure and src/core/");
    }

    private static string ReadVersion(string sourceDir)
    {
        var header = Path.Combine(sourceDir, "src", "core", "nginx.h");
        var match = File.Exists(header) ? VersionDefine().Match(File.ReadAllText(header)) : Match.Empty;
        return match.Success
            ? match.Groups[1].Value
            : throw new KubeNginxException($"cannot read NGINX_VERSION from {header}");
    }

    [GeneratedRegex("#define\\s+NGINX_VERSION\\s+\"([^\"]+)\"")]
    private static partial Regex VersionDefine();
}

/// <summary>A kube-nginx binary ready to publish: where it is, what it is, and whether it came from the cache.</summary>
public sealed record NginxBuild(string BinaryPath, KubeNginxMetadata Metadata, bool CacheHit, string CacheEntry);
