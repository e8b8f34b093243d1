namespace KubeAirgap.Tests.Support;

/// <summary>
/// Tests that run real daemons (containerd), chown files or make namespaces need root. They check it first and fail
/// with "needs root: ..." instead of timing out on a daemon that could never start.
/// </summary>
public static class NeedsRoot
{
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    public static void Check(string what)
    {
        if (!IsRoot)
        {
            Assert.Fail($"needs root: {what} (run the suite as root, as .ci/run does)");
        }
    }
}
