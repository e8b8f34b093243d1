using KubeAirgap.Pins;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Nginx;

/// <summary>The production pins build kube-nginx from nginx's current stable release, verified by its OpenPGP signature.</summary>
public sealed class NginxPinsTests
{
    [Fact]
    public void Should_Pin_The_Stable_Nginx_Source_With_A_Signature_And_Developer_Keys()
    {
        // Given
        var pins = PinsLoader.LoadValid(Repo.File("pins.yaml"));

        // When
        var nginx = Assert.Single(pins.Components, c => c.Name == "nginx");
        var artifact = nginx.For(PinsFile.NoArch);

        // Then
        Assert.Equal("1.30.4", nginx.Version);
        Assert.Equal("source", nginx.Layout.Type);
        Assert.NotNull(artifact);
        Assert.Equal("https://nginx.org/download/nginx-1.30.4.tar.gz", artifact.Url);
        Assert.Matches("^[0-9a-f]{64}$", artifact.Sha256);
        Assert.NotNull(artifact.Signature);
        Assert.Equal(artifact.Url + ".asc", artifact.Signature.Url);
        Assert.Contains(artifact.Signature.Keys, k => k.EndsWith("arut.key", StringComparison.Ordinal));
        Assert.All(pins.Releases, r => Assert.Equal("1.30.4", r.VersionOf("nginx")));
    }
}
