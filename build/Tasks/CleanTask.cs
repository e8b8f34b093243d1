using Cake.Common;
using Cake.Common.IO;

namespace Build.Tasks;

[TaskName("Clean")]
[TaskDescription("Deletes build output (artifacts/); with --cache also the download cache. Never touches state/ (CA keys, secrets)")]
public sealed class CleanTask : FrostingTask<BuildContext>
{
    public override void Run(BuildContext context)
    {
        var targets = new List<string> { context.Paths.Artifacts };
        if (context.HasArgument("cache"))
        {
            targets.Add(context.Paths.Cache);
        }

        foreach (var dir in targets)
        {
            if (IsInside(context.Paths.StateRoot, dir) || IsInside(dir, context.Paths.StateRoot))
            {
                throw new InvalidOperationException($"refusing to clean {dir}: it overlaps the state directory {context.Paths.StateRoot}");
            }

            if (Directory.Exists(dir))
            {
                context.DeleteDirectory(dir, new DeleteDirectorySettings { Recursive = true, Force = true });
                context.Information("Deleted {0}", dir);
            }
        }
    }

    private static bool IsInside(string parent, string child)
    {
        var p = System.IO.Path.GetFullPath(parent).TrimEnd('/') + "/";
        var c = System.IO.Path.GetFullPath(child).TrimEnd('/') + "/";
        return c.StartsWith(p, StringComparison.Ordinal);
    }
}
