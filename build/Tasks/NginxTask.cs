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
        var settings = context.Settings.Nginx;
        var stage = new KubeNginxStage
        {
            Options = new NginxBuildOptions
            {
                CacheDir = context.Paths.Cache,
                WorkDir = System.IO.Path.Combine(context.Paths.Artifacts, "build", "kube-nginx"),
                LogDir = context.Paths.Logs,
                TargetArch = TargetArch.Host.Name,
                Static = settings.Static,
                Strip = settings.Strip,
                Compiler = settings.Cc,
                CrossCompilers = settings.CrossCc,
                MakeJobs = settings.Jobs,
                Log = line => context.Information("{0}", line),
            },
            PinsDirectory = System.IO.Path.GetDirectoryName(context.PinsPath)!,
            Prebuilt = settings.Prebuilt,
            ExplicitSource = settings.Source.Length > 0 ? settings.Source : null,
        };
        stage.Run(context.Pins, cluster.KubernetesVersion, PayloadKey.AllOf(cluster), key => context.Paths.Payload(cluster.Name, key.Name));
    }
}
