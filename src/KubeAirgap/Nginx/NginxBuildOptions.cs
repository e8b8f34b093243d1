using KubeAirgap.Layout;

namespace KubeAirgap.Nginx;

/// <summary>How to build kube-nginx: where to cache, build and log, for which arch, with which toolchain.</summary>
public sealed record NginxBuildOptions
{
    /// <summary>The pipeline cache root; builds go to <c>builds/kube-nginx/&lt;key&gt;/</c> below it.</summary>
    public required string CacheDir { get; init; }

    /// <summary>Where the source is extracted and compiled (removed after a successful build).</summary>
    public required string WorkDir { get; init; }

    /// <summary>configure and make logs (artifacts/logs).</summary>
    public required string LogDir { get; init; }

    /// <summary>The node arch (cluster.yaml names: amd64, arm64).</summary>
    public required string TargetArch { get; init; }

    /// <summary>nginx's --prefix: where it looks for its config and writes logs and temp files on the node.</summary>
    public string Prefix { get; init; } = NodeLayout.KubeNginxPrefix;

    /// <summary>Link statically (<c>--with-ld-opt=-static</c>); needs the toolchain's static libc (Debian: libc6-dev).</summary>
    public bool Static { get; init; }

    /// <summary>Strip symbols and debug info at link time (<c>-s</c>): about 380 KB instead of 1.8 MB.</summary>
    public bool Strip { get; init; } = true;

    /// <summary>The C compiler for builds on the node's own arch.</summary>
    public string Compiler { get; init; } = "cc";

    /// <summary>Cross compilers by node arch, e.g. <c>arm64 → aarch64-linux-gnu-gcc</c>.</summary>
    public IReadOnlyDictionary<string, string> CrossCompilers { get; init; } = new Dictionary<string, string>();

    public string Make { get; init; } = "make";

    public int MakeJobs { get; init; } = Environment.ProcessorCount;

    /// <summary>PATH for finding the tools and for configure/make; null means this process's PATH.</summary>
    public string? SearchPath { get; init; }

    /// <summary>Progress lines (the task logs them).</summary>
    public Action<string> Log { get; init; } = _ => { };

    internal string EffectivePath => SearchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";

    internal IReadOnlyDictionary<string, string> ChildEnvironment => new Dictionary<string, string>
    {
        ["PATH"] = EffectivePath,
        ["LC_ALL"] = "C",
    };
}
