using KubeAirgap.Fetch;
using KubeAirgap.Layout;
using KubeAirgap.Nginx;

namespace Build.Tasks;

[TaskName("Nginx")]
[TaskDescription("Compiles kube-nginx (nginx with the stream module only) from the verified source, cached by input hash, into every payload")]
[IsDependentOn(typeof(ValidateTask))]
public sealed class NginxTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var cluster = context.Cluster ?? throw new InvalidOperationException("Validate has not run: no inventory loaded");
        var pins = context.Pins ?? throw new InvalidOperationException("Validate has not run: no pins loaded");
        var source = new Lazy<NginxSource>(() => NginxSource.Locate(pins, cluster.KubernetesVersion,
            new ArtifactCache(context.Paths.Cache), context.Setting("Nginx", "Source", string.Empty)));
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
            var build = prebuilt.Length > 0
                ? NginxBuilder.Prebuilt(System.IO.Path.GetFullPath(prebuilt, context.Root), arch.Key, source.Value.Version)
                : NginxBuilder.Build(source.Value.TarballPath, source.Value.Sha256, options with { TargetArch = arch.Key });
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
