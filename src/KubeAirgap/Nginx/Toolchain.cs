namespace KubeAirgap.Nginx;

/// <summary>The compiler and make that build kube-nginx for one arch, and the compiler's identity (part of the cache key).</summary>
public sealed record Toolchain(TargetArch Target, bool Cross, string Compiler, string CompilerPath, string MakePath, string Identity, string Summary)
{
    public const string DebianPackages = "build-essential";
    public const string RhelPackages = "gcc make";

    /// <summary>
    /// Finds the compiler (the host one, or the cross compiler configured for a foreign arch) and make, and asks the
    /// compiler who it is (<c>--version</c>, <c>-dumpmachine</c>: neither compiles anything).
    /// </summary>
    public static Toolchain Resolve(NginxBuildOptions options)
    {
        var target = TargetArch.Of(options.TargetArch);
        var host = TargetArch.Host;
        var cross = target != host;
        string compiler;
        if (!cross)
        {
            compiler = options.Compiler;
        }
        else if (!options.CrossCompilers.TryGetValue(target.Name, out compiler!) || string.IsNullOrWhiteSpace(compiler))
        {
            throw new KubeNginxException(ForeignArchWithoutToolchain(target, host));
        }

        var compilerPath = Which(compiler, options.EffectivePath);
        var makePath = Which(options.Make, options.EffectivePath);
        if (compilerPath is null || makePath is null)
        {
            var missing = new[] { compilerPath is null ? $"C compiler '{compiler}'" : null, makePath is null ? $"'{options.Make}'" : null }
                .Where(m => m is not null);
            var install = cross
                ? $"Install the cross compiler: Debian/Ubuntu: sudo apt-get install {target.DebianCrossPackage} (and make: {DebianPackages}); "
                  + $"or set [Nginx] CrossCc_{target.Name} in cake.config to a compiler that is installed."
                : $"Install them: Debian/Ubuntu: sudo apt-get install {DebianPackages}; RHEL/Rocky/Fedora: sudo dnf install {RhelPackages}.";
            throw new KubeNginxException(
                $"kube-nginx is compiled from source on the build machine and needs a C compiler and make; not found on PATH ({options.EffectivePath}): "
                + $"{string.Join(", ", missing)}. {install}");
        }

        var env = options.ChildEnvironment;
        var version = BuildStep.Probe(compilerPath, ["--version"], env)
            ?? throw new KubeNginxException($"'{compilerPath} --version' failed: is '{compiler}' a working C compiler?");
        var machine = (BuildStep.Probe(compilerPath, ["-dumpmachine"], env) ?? string.Empty).Trim();
        var machineCpu = machine.Split('-')[0];
        var targetCpu = target.GnuTriple.Split('-')[0];
        if (machine.Length > 0 && machineCpu != targetCpu)
        {
            throw new KubeNginxException(
                $"compiler '{compiler}' builds for {machine}, but the node arch {target.Name} needs {target.GnuTriple} "
                + (cross ? $"(check [Nginx] CrossCc_{target.Name} in cake.config)" : $"(check [Nginx] Cc in cake.config)"));
        }

        var summary = version.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? compiler;
        var identity = $"{version.Trim()}\n-dumpmachine: {machine}";
        return new Toolchain(target, cross, compiler, compilerPath, makePath, identity, $"{summary} ({machine})");
    }

    /// <summary>The full path of <paramref name="command"/> on <paramref name="searchPath"/>, or null.</summary>
    public static string? Which(string command, string searchPath)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return IsExecutable(command) ? Path.GetFullPath(command) : null;
        }

        return searchPath.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, command))
            .FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path) =>
        File.Exists(path)
        && (OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0);

    private static string ForeignArchWithoutToolchain(TargetArch target, TargetArch host) =>
        $"the node arch {target.Name} differs from the build machine's ({host.Name}) and no cross compiler is configured for {target.Name}. Either:\n"
        + $"  1. install a cross toolchain (Debian/Ubuntu: sudo apt-get install {target.DebianCrossPackage} qemu-user-static binfmt-support; "
        + "nginx's configure runs small test programs, which qemu-user runs through binfmt_misc) and set it in cake.config:\n"
        + $"       [Nginx]\n       CrossCc_{target.Name}={target.CrossCompiler}\n"
        + $"     (or pass --nginx_crosscc_{target.Name}={target.CrossCompiler}); or\n"
        + $"  2. build kube-nginx on a machine of arch {target.Name} (./build.sh --target=Nginx there) and point to that binary:\n"
        + $"       [Nginx]\n       Prebuilt_{target.Name}=/path/to/kube-nginx";
}
