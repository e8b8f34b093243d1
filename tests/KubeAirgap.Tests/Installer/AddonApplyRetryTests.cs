using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>The add-on apply is tried again when the apiserver fails it for a moment (etcd electing a leader).</summary>
public sealed class AddonApplyRetryTests
{
    [Fact]
    public void The_addon_apply_is_tried_again_after_a_transient_failure_and_gives_up_after_the_last_attempt()
    {
        // Given: a kubectl that fails its first apply as the apiserver did while etcd changed leader
        using var shell = new NodeShell("n01");
        shell.Tool("kubectl", $"n=$(cat '{shell.Calls}.n' 2>/dev/null || echo 0); n=$((n + 1)); echo $n >'{shell.Calls}.n'; echo \"kubectl $*\" >>'{shell.Calls}'; [ $n -gt 1 ] || {{ echo 'Error from server (InternalError): etcdserver: leader changed' >&2; exit 1; }}");

        // When
        var run = shell.Run("apply_addons_once kc && echo applied", stubs: false);

        // Then: a warning, a second attempt, success
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("apply attempt 1 of 3 failed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("applied", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, shell.CallLines.Count(l => l.Contains(" apply --server-side", StringComparison.Ordinal)));

        // When: every attempt fails
        var failing = shell.Run("KA_ADDON_ATTEMPTS=2; echo -100 >\"${CALLS}.n\"; if apply_addons_once kc; then echo applied; else echo gave-up; fi", stubs: false);

        // Then
        Assert.Contains("gave-up", failing.Stdout, StringComparison.Ordinal);
    }
}
