namespace KubeAirgap.Render.Versions;

/// <summary>
/// The mark of a test bundle: rendered with the test-only setting RelaxSupportedVersions although the pinned versions
/// in <paramref name="Unsupported"/> are older than the Kubernetes release supports. Render records it
/// (<see cref="RenderRecord"/>), Bundle writes it into bundle-manifest.json, manifest.json, the SBOM and lib/layout.env
/// (<c>KA_TEST_BUNDLE=1</c>), VerifyBundle prints it, and install.sh refuses such a bundle without <c>--test-bundle</c>.
/// </summary>
public sealed record TestBundleStamp(IReadOnlyList<UnsupportedVersion> Unsupported)
{
    /// <summary>Why the bundle is a test bundle, one clause per unsupported component.</summary>
    public string Reason => string.Join("; ", Unsupported.Select(u => u.Describe()));

    /// <summary>The line VerifyBundle, the SBOM and the Render and Bundle tasks print.</summary>
    public string Banner => $"TEST BUNDLE: {Reason}. Built with the test-only setting RelaxSupportedVersions: not for production; install.sh refuses it without --test-bundle";

    /// <summary>A stamp for <paramref name="unsupported"/>; null when nothing is unsupported (not a test bundle).</summary>
    public static TestBundleStamp? Of(IEnumerable<UnsupportedVersion> unsupported)
    {
        var list = unsupported.ToList();
        return list.Count == 0 ? null : new TestBundleStamp(list);
    }

    /// <summary>Both stamps' reasons (each once): a bundle is a test bundle when either says so.</summary>
    public static TestBundleStamp? Union(TestBundleStamp? a, TestBundleStamp? b) =>
        Of((a?.Unsupported ?? []).Concat(b?.Unsupported ?? []).Distinct().OrderBy(u => u.Component, StringComparer.Ordinal));
}
