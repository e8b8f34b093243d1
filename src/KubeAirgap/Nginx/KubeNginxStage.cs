using KubeAirgap.Layout;
using KubeAirgap.Pins;

namespace KubeAirgap.Nginx;

/// <summary>A kube-nginx built elsewhere for one arch (<c>[Nginx] Prebuilt_&lt;arch&gt;</c>, <c>PrebuiltSha256_&lt;arch&gt;</c>).</summary>
public sealed record KubeNginxPrebuilt(string Path, string? Sha256);

/// <summary>What the stage put into the payloads of one arch.</summary>
public sealed record KubeNginxStaged(string Arch, NginxBuild Build, bool Prebuilt, int Payloads)
{
    public string Summary =>
        $"kube-nginx {Build.Metadata.Version} ({Arch}{(Build.CacheHit ? ", from cache" : Prebuilt ? ", prebuilt" : string.Empty)}): "
        + $"glibc {(Build.Metadata.Glibc is null ? "none (static)" : ">= " + Build.Metadata.Glibc)}, sha256 {Build.Metadata.Sha256}, staged in {Payloads} payload(s)";
}

/// <summary>
/// The Nginx stage: per arch of the cluster's payloads, the prebuilt kube-nginx configured for that arch, or else a
/// build from the nginx source Fetch verified and staged (or <see cref="ExplicitSource"/>, held to the same pins);
/// the result is published into every payload of that arch.
/// </summary>
public sealed class KubeNginxStage
{
    /// <summary>How to build; <see cref="NginxBuildOptions.TargetArch"/> is set per arch by the stage.</summary>
    public required NginxBuildOptions Options { get; init; }

    /// <summary>Where pins.yaml lies (its signature key paths are relative to it).</summary>
    public required string PinsDirectory { get; init; }

    /// <summary>Prebuilt binaries by arch; an arch not named here is built.</summary>
    public IReadOnlyDictionary<string, KubeNginxPrebuilt> Prebuilt { get; init; } = new Dictionary<string, KubeNginxPrebuilt>();

    /// <summary>[Nginx] Source: a local tarball to build from instead of the staged one (null: the staged one).</summary>
    public string? ExplicitSource { get; init; }

    public IReadOnlyList<KubeNginxStaged> Run(PinsFile pins, string kubernetesVersion, IEnumerable<PayloadKey> payloads, Func<PayloadKey, string> payloadDir)
    {
        var staged = new List<KubeNginxStaged>();
        foreach (var arch in payloads.GroupBy(k => k.Arch))
        {
            var prebuilt = Prebuilt.TryGetValue(arch.Key, out var binary) && binary.Path.Length > 0 ? binary : null;
            var build = prebuilt is null
                ? Build(pins, kubernetesVersion, arch.Key, payloadDir(arch.First()))
                : NginxBuilder.Prebuilt(prebuilt.Path, arch.Key, NginxSource.Pinned(pins, kubernetesVersion).Version, prebuilt.Sha256);
            foreach (var key in arch)
            {
                KubeNginxPayload.Publish(build, payloadDir(key));
            }

            var result = new KubeNginxStaged(arch.Key, build, prebuilt is not null, arch.Count());
            Options.Log(result.Summary);
            staged.Add(result);
        }

        return staged;
    }

    private NginxBuild Build(PinsFile pins, string kubernetesVersion, string arch, string stagedPayload)
    {
        var source = NginxSource.Locate(pins, kubernetesVersion, stagedPayload, ExplicitSource, PinsDirectory);
        Options.Log($"nginx {source.Version} source: {source.TarballPath}"
            + (source.SignedBy is null ? string.Empty : $" (OpenPGP signature verified, signer {source.SignedBy})"));
        return NginxBuilder.Build(source.TarballPath, source.Sha256, Options with { TargetArch = arch });
    }
}
