namespace KubeAirgap.Render.Versions;

/// <summary>
/// A pinned component older than the Kubernetes release supports: <paramref name="Minimum"/> is what the version table
/// row <paramref name="Rule"/> asks for (<c>2.x</c> for containerd with Kubernetes 1.36). Render refuses it unless the
/// test-only setting RelaxSupportedVersions is on; then the bundle is a test bundle (<see cref="TestBundleStamp"/>).
/// </summary>
public sealed record UnsupportedVersion(string Component, string Version, string Minimum, string Kubernetes, string Rule)
{
    /// <summary>One line naming the component, its version and the minimum, e.g. <c>containerd 1.6.20 is older than
    /// the containerd 2.x Kubernetes 1.36.3 needs (version table row containerd.minimumMajor)</c>.</summary>
    public string Describe() => $"{Component} {Version} is older than the {Component} {Minimum} Kubernetes {Kubernetes} needs (version table row {Rule})";
}
