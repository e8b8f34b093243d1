using KubeAirgap.Nginx;

namespace Build.Settings;

/// <summary>[Nginx]: how kube-nginx is compiled, per-arch cross compilers and prebuilt binaries, an explicit source.</summary>
public sealed record NginxSettings(
    bool Static,
    bool Strip,
    string Cc,
    int MakeJobs,
    string Source,
    IReadOnlyDictionary<string, string> CrossCc,
    IReadOnlyDictionary<string, KubeNginxPrebuilt> Prebuilt)
{
    /// <param name="root">The working directory: relative paths (Source, Prebuilt_&lt;arch&gt;) are taken from it.</param>
    public static NginxSettings From(Section s, string root) => new(
        s.Bool("Static", false),
        s.Bool("Strip", true),
        s.String("Cc", "cc"),
        s.Int("MakeJobs", 0),
        s.Raw("Source") is { } source ? Path.GetFullPath(source, root) : string.Empty,
        TargetArch.All.ToDictionary(a => a.Name, a => s.String($"CrossCc_{a.Name}", string.Empty)),
        TargetArch.All
            .Where(a => s.Raw($"Prebuilt_{a.Name}") is not null)
            .ToDictionary(a => a.Name, a => new KubeNginxPrebuilt(Path.GetFullPath(s.Raw($"Prebuilt_{a.Name}")!, root), s.Raw($"PrebuiltSha256_{a.Name}"))));

    /// <summary>make -j: MakeJobs, or 0 for one job per core.</summary>
    public int Jobs => MakeJobs > 0 ? MakeJobs : Environment.ProcessorCount;
}
