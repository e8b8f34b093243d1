using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Images.Registry;
using KubeAirgap.Tests.Images.Fixtures;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images;

public sealed class MirrorTests
{
    /// <summary>registry.k8s.io and quay.io served by a loopback docker-registry acting as the internal mirror.</summary>
    public sealed class WithALocalMirror : IDisposable
    {
        private readonly TestRegistry _mirror = new();
        private readonly PullFixture _fixture = new();

        [Fact]
        public async Task Should_Pull_Upstream_Names_From_The_Mirror_After_A_Dead_One()
        {
            // Given: the first mirror listed is not listening; the upstream registries are never reached
            var pause = _mirror.Push("pause", "3.10.2", TestImages.Image("pause"));
            var node = _mirror.Push("calico/node", "v3.31.7", TestImages.Index(TestImages.Image("node"), TestImages.Image("node arm", "arm64")));
            var dead = Ports.Free();
            var options = RegistryOptions.Parse(
                $"registry.k8s.io=http://127.0.0.1:{dead} registry.k8s.io=http://{_mirror.Host}, quay.io=http://{_mirror.Host}",
                string.Empty, RegistryCredentials.None) with { FallBackToUpstream = false };
            using var client = _fixture.Client(options: options);

            // When
            var pulled = await new ImagePuller(client).PullAllAsync(
                [ImageReference.Parse("registry.k8s.io/pause:3.10.2"), ImageReference.Parse("quay.io/calico/node:v3.31.7")], "amd64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal([pause, node], pulled.Select(p => p.Target.Digest));
            Assert.Equal(["registry.k8s.io/pause:3.10.2", $"registry.k8s.io/pause@{pause}"], pulled[0].Names);
        }

        [Fact]
        public async Task Should_Report_Every_Endpoint_That_Failed()
        {
            // Given
            var dead = Ports.Free();
            var options = RegistryOptions.Parse($"registry.k8s.io=http://127.0.0.1:{dead} registry.k8s.io=http://{_mirror.Host}", string.Empty, RegistryCredentials.None)
                with { FallBackToUpstream = false };
            using var client = _fixture.Client(options: options);

            // When
            var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync(KubeAirgap.ImageRefs.ImageReference.Parse("registry.k8s.io/pause:9.9"), "9.9", TestContext.Current.CancellationToken));

            // Then
            Assert.Contains($"mirror 127.0.0.1:{dead} of registry.k8s.io", error.Message, StringComparison.Ordinal);
            Assert.Contains($"mirror {_mirror.Host} of registry.k8s.io", error.Message, StringComparison.Ordinal);
            Assert.Contains("404", error.Message, StringComparison.Ordinal);
        }

        public void Dispose()
        {
            _mirror.Dispose();
            _fixture.Dispose();
        }
    }

    public sealed class TheRegistryOptions
    {
        [Fact]
        public void Should_Try_Mirrors_In_Order_Then_The_Registry_Over_Https()
        {
            // Given
            var options = RegistryOptions.Parse("docker.io=https://m1.internal docker.io=https://m2.internal:5000", string.Empty, RegistryCredentials.None);

            // When
            var endpoints = options.EndpointsFor("docker.io");

            // Then
            Assert.Equal(["https://m1.internal/", "https://m2.internal:5000/", "https://registry-1.docker.io/"], endpoints.Select(e => e.BaseUri.ToString()));
            Assert.Equal([true, true, false], endpoints.Select(e => e.IsMirror));
        }

        [Fact]
        public void Should_Allow_Plain_Http_Only_For_Insecure_Hosts_And_Loopback()
        {
            // Given
            var options = RegistryOptions.Parse(string.Empty, "mirror.internal:5000", RegistryCredentials.None);

            // Then
            Assert.True(options.AllowsPlainHttp(new Uri("http://mirror.internal:5000")));
            Assert.True(options.AllowsPlainHttp(new Uri("http://127.0.0.5:5000")));
            Assert.True(options.AllowsPlainHttp(new Uri("http://localhost:1")));
            Assert.False(options.AllowsPlainHttp(new Uri("http://mirror.internal:6000")));
            Assert.False(options.AllowsPlainHttp(new Uri("http://registry.k8s.io")));
            Assert.Equal("http", options.EndpointsFor("mirror.internal:5000")[0].BaseUri.Scheme);
            Assert.Equal("https", options.EndpointsFor("registry.k8s.io")[0].BaseUri.Scheme);
        }

        [Fact]
        public void Should_Reject_A_Mirror_That_Is_Not_A_Url() =>
            Assert.Throws<FormatException>(() => RegistryOptions.Parse("registry.k8s.io=mirror.internal", string.Empty, RegistryCredentials.None));
    }

    public sealed class TheAuthChallenge
    {
        [Fact]
        public void Should_Parse_Quoted_Parameters_With_Commas() =>
            Assert.Equal(
                new Dictionary<string, string> { ["realm"] = "https://auth.docker.io/token", ["service"] = "registry.docker.io", ["scope"] = "repository:a/b:pull,push" },
                AuthChallenge.ParseParameters("realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:a/b:pull,push\""));
    }
}
