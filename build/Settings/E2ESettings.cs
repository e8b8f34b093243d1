namespace Build.Settings;

/// <summary>[E2E]: the VM test's cache, whether to keep its work directory, the install timeout, which scenarios.</summary>
public sealed record E2ESettings(string Cache, bool KeepWork, int InstallTimeoutSeconds, string Scenarios)
{
    public static E2ESettings From(Section s) => new(
        s.String("Cache", "/var/cache/kube-airgap-e2e"),
        s.Bool("KeepWork", false),
        s.Int("InstallTimeoutSeconds", 2700, min: 1),
        s.String("Scenarios", string.Empty));
}
