using KubeAirgap.Tests.Bundle;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Installer;

/// <summary>
/// One synthetic node bundled twice with the same key: <c>plain</c> with the shipped pins, <c>test</c> with Debian's
/// containerd 1.6.20 for Kubernetes 1.36.3 (a test bundle, stamped KA_TEST_BUNDLE=1), each extracted with tar and
/// the public key beside it (what <see cref="ExtractedBundles.Install"/> hands to --pubkey).
/// </summary>
public sealed class TestBundles : IDisposable
{
    public TestBundles()
    {
        Fixture = new SyntheticBundle(nodes: 1);
        Extracted = new TempDirectory("kag-testbundles");
        Fixture.BuildExtracted("plain", Extracted.Combine("plain"));
        Fixture.UseKubernetesVersion(Fixture.Spec.KubernetesVersion, TestBundleStampTests.RelaxedPins(SyntheticBundle.Pins));
        Fixture.BuildExtracted("test", Extracted.Combine("test"));
    }

    public SyntheticBundle Fixture { get; }

    public TempDirectory Extracted { get; }

    /// <summary>The extracted node directory of build <paramref name="name"/> (plain or test).</summary>
    public string Bundle(string name) => Extracted.Combine(name, "t-n01");

    /// <summary>A private copy of build <paramref name="name"/> (node directory, payload directory, key) to modify.</summary>
    public string CopyOf(string name, TempDirectory into)
    {
        Cmd.Run("cp", "-a", Extracted.Combine(name) + "/.", into.Path).EnsureSuccess("cp -a");
        return into.Combine("t-n01");
    }

    public void Dispose()
    {
        Extracted.Dispose();
        Fixture.Dispose();
    }
}
