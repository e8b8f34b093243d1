using KubeAirgap.Layout;
using KubeAirgap.Nginx;

namespace Build.Tasks;

[TaskName("Nginx")]
[TaskDescription("Compiles kube-nginx (nginx with the stream module only) from the verified source, cached by input hash, into every payload")]
[IsDependentOn(typeof(FetchTask))]
public sealed class NginxTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var cluster = context.Cluster;
        var pins = context.Pins;
        var explicitSource = context.Setting("Nginx", "Source", string.Empty);
        var jobs = context.Setting("Nginx", "MakeJobs", 0);
        var options = new NginxBuildOptions
        {
            CacheDir = context.Paths.Cache,
            WorkDir = System.IO.Path.Combine(context.Paths.Artifacts, "build", "kube-nginx"),
            LogDir = context.Paths.Logs,
            TargetArch = TargetArch.Host.Name,
            Static = context.Setting("Nginx", "Static", false),
            Strip = context.Setting("Nginx", "Strip", true),
            Compiler = context.Setting("Nginx", "Cc", "cc"),
            CrossCompilers = TargetArch.All.ToDictionary(a => a.Name, a => context.Setting("Nginx", $"CrossCc_{a.Name}", string.Empty)),
            MakeJobs = jobs > 0 ? jobs : Environment.ProcessorCount,
            Log = line => context.Information("{0}", line),
        };

        foreach (var arch in PayloadKey.AllOf(cluster).GroupBy(k => k.Arch))
        {
            var prebuilt = context.Setting("Nginx", $"Prebuilt_{arch.Key}", string.Empty);
            NginxBuild build;
            if (prebuilt.Length > 0)
            {
                var version = NginxSource.Pinned(pins, cluster.KubernetesVersion).Version;
                build = NginxBuilder.Prebuilt(System.IO.Path.GetFullPath(prebuilt, context.Root), arch.Key, version,
                    context.Setting("Nginx", $"PrebuiltSha256_{arch.Key}", string.Empty));
            }
            else
            {
                var source = NginxSource.Locate(pins, cluster.KubernetesVersion, context.Paths.Payload(cluster.Name, arch.First().Name),
                    explicitSource.Length > 0 ? System.IO.Path.GetFullPath(explicitSource, context.Root) : null,
                    System.IO.Path.GetDirectoryName(context.PinsPath)!);
                context.Information("nginx {0} source: {1}{2}", source.Version, source.TarballPath,
                    source.SignedBy is null ? string.Empty : $" (OpenPGP signature verified, signer {source.SignedBy})");
                build = NginxBuilder.Build(source.TarballPath, source.Sha256, options with { TargetArch = arch.Key });
            }

            foreach (var key in arch)
            {
                KubeNginxPayload.Publish(build, context.Paths.Payload(cluster.Name, key.Name));
            }

            context.Information(
                "kube-nginx {0} ({1}{2}): glibc {3}, sha256 {4}, staged in {5} payload(s)",
                build.Metadata.Version, arch.Key, build.CacheHit ? ", from cache" : prebuilt.Length > 0 ? ", prebuilt" : string.Empty,
                build.Metadata.Glibc is null ? "none (static)" : ">= " + build.Metadata.Glibc, build.Metadata.Sha256, arch.Count());
        }
    }
}
