using Cake.Common;
using KubeAirgap.TestSupport.Harness;

namespace Build.Tasks;

/// <summary>
/// What the Demo and Mirror targets share: the inventory (--cluster, or the demo inventory) and node (--node) they
/// plan for, and the host dependencies of the loopback mirror, installed the way the Test target installs its own.
/// </summary>
internal static class DemoHost
{
    public const string DemoInventory = "tests/fixtures/e2e/demo-cluster.yaml";

    /// <summary>The test dependency directory (nginx source, arm64 .debs) that install-test-deps.sh and mirror.sh share.</summary>
    public static string DepsDir =>
        Environment.GetEnvironmentVariable("KA_TEST_DEPS_DIR") is { Length: > 0 } dir ? dir : "/var/cache/kube-airgap-test";

    public static DemoPlan Plan(BuildContext context)
    {
        var custom = context.HasArgument("cluster");
        var path = custom ? context.ClusterFile : System.IO.Path.Combine(context.Root, DemoInventory);
        var shown = custom ? context.ClusterFileAsGiven : DemoInventory;
        var node = context.HasArgument("node") ? context.Argument<string>("node") : null;
        return DemoPlan.Load(path, shown, node);
    }

    /// <summary>
    /// Checks what the mirror needs for the plan's arches; installs what is missing with tests/install-test-deps.sh
    /// --for=demo after saying what, or, when this machine cannot (no apt-get; neither root nor sudo; --skip-deps),
    /// stops with exit code 2 and the exact command.
    /// </summary>
    public static void EnsureDependencies(BuildContext context, DemoPlan plan, string task)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var deps = new DemoDependencies(context.Root, DepsDir, path);
        var missing = deps.Missing(plan.Arches);
        if (missing.Count == 0)
        {
            return;
        }

        var isRoot = Environment.IsPrivilegedProcess;
        if (context.HasArgument("skip-deps") || !deps.CanInstall(isRoot))
        {
            throw new CakeException(2, $"{task}: " + deps.CannotInstall(missing, isRoot));
        }

        context.Information("{0}: installing what the loopback mirror needs for {1}: {2}", task, plan.ArchList, string.Join(", ", missing));
        context.Information("{0}: running {1}", task, isRoot ? $"bash {deps.Script} --for=demo" : deps.Command);
        var environment = new Dictionary<string, string> { ["KUBE_AIRGAP_TEST_DEPS_DIR"] = DepsDir };
        var script = new HarnessScript(deps.Script, ["--for=demo"], environment, isRoot ? null : "sudo");
        var exit = script.Run(line => context.Information("{0}", line));
        var still = deps.Missing(plan.Arches);
        if (exit != 0 || still.Count > 0)
        {
            throw new CakeException(2, $"{task}: {deps.Script} --for=demo exited {exit}"
                + (still.Count > 0 ? $"; still missing: {string.Join(", ", still)}" : string.Empty)
                + $". Install them with:\n  {deps.Command}");
        }
    }

    /// <summary>The environment every harness script gets: plain output and the shared dependency directory.</summary>
    public static Dictionary<string, string> ScriptEnvironment() => new()
    {
        ["NO_COLOR"] = "1",
        ["KA_TEST_DEPS_DIR"] = DepsDir,
    };
}
