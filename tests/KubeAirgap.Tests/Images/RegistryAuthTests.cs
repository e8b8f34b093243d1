using KubeAirgap.Images.Archive;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Images.Registry;
using KubeAirgap.Tests.Images.Fixtures;

namespace KubeAirgap.Tests.Images;

/// <summary>Basic auth (docker-registry with htpasswd), the bearer-token flow (a Kestrel token server) and 429 retries.</summary>
public sealed class RegistryAuthTests
{
    public sealed class WithBasicAuth : IDisposable
    {
        private readonly TestRegistry _registry = new(basicAuth: true);
        private readonly PullFixture _fixture = new();

        [Fact]
        public async Task Should_Pull_With_Credentials_From_The_Environment()
        {
            // Given
            var digest = _registry.Push("private/app", "1", TestImages.Image("private"));
            using var client = _fixture.Client(PullFixture.Env(_registry.Host, TestRegistry.User, TestRegistry.Password));

            // When
            var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/private/app:1"), "amd64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(digest, pulled.Target.Digest);
        }

        [Fact]
        public async Task Should_Pull_With_Credentials_From_A_Docker_Config()
        {
            // Given
            var digest = _registry.Push("private/app", "2", TestImages.Image("private 2"));
            var auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{TestRegistry.User}:{TestRegistry.Password}"));
            var config = Path.Combine(_fixture.Root, "config.json");
            await File.WriteAllTextAsync(config, $"{{\"auths\":{{\"http://{_registry.Host}/v2/\":{{\"auth\":\"{auth}\"}}}}}}", TestContext.Current.CancellationToken);
            var credentials = new RegistryCredentials(new Dictionary<string, string>(), RegistryCredentials.ReadDockerConfig(config));
            using var client = _fixture.Client(credentials);

            // When
            var resolved = await client.ResolveDigestAsync($"{_registry.Host}/private/app:2", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(digest, resolved);
        }

        [Fact]
        public async Task Should_Fail_With_401_And_A_Hint_Without_Credentials_And_Write_No_Archive()
        {
            // Given
            _registry.Push("private/app", "3", TestImages.Image("private 3"));
            using var client = _fixture.Client();
            var archive = _fixture.Output("images.oci.tar");

            // When
            var error = await Assert.ThrowsAsync<RegistryException>(async () =>
            {
                var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/private/app:3"), "amd64", TestContext.Current.CancellationToken);
                await OciArchive.WriteAsync(archive, [pulled], client.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
            });

            // Then
            Assert.Contains("401 Unauthorized", error.Message, StringComparison.Ordinal);
            Assert.Contains($"KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(_registry.Host)}_USERNAME", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(archive));
            Assert.Empty(_fixture.CachedBlobs());
        }

        public void Dispose()
        {
            _registry.Dispose();
            _fixture.Dispose();
        }
    }

    public sealed class WithBearerTokens : IAsyncLifetime
    {
        private readonly TestRegistry _registry = new();
        private readonly PullFixture _fixture = new();
        private GateServer _gate = null!;

        public async ValueTask InitializeAsync() =>
            _gate = await GateServer.StartAsync(_registry.BaseUri, ("robot", "token-pw"));

        [Fact]
        public async Task Should_Get_A_Token_For_The_Repository_Scope_From_The_Challenge()
        {
            // Given
            var image = TestImages.Image("bearer");
            var digest = _registry.Push("team/app", "1", image);
            using var client = _fixture.Client(PullFixture.Env(_gate.Host, "robot", "token-pw"));

            // When
            var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{_gate.Host}/team/app:1"), "amd64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(digest, pulled.Target.Digest);
            Assert.Contains("repository:team/app:pull", _gate.TokenScopes);
            Assert.Contains(_gate.Requests, r => r.StartsWith("/v2/team/app/blobs/", StringComparison.Ordinal) && r.EndsWith(" 200", StringComparison.Ordinal));
        }

        [Fact]
        public async Task Should_Fail_When_The_Token_Server_Refuses_Missing_Credentials()
        {
            // Given
            _registry.Push("team/app", "2", TestImages.Image("bearer 2"));
            using var client = _fixture.Client();

            // When
            var error = await Assert.ThrowsAsync<RegistryException>(() =>
                new ImagePuller(client).PullAsync(ImageReference.Parse($"{_gate.Host}/team/app:2"), "amd64", TestContext.Current.CancellationToken));

            // Then
            Assert.Contains("token server", error.Message, StringComparison.Ordinal);
            Assert.Contains("401", error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task Should_Wait_For_Retry_After_On_429_And_Then_Succeed()
        {
            // Given: the next two blob requests are answered 429 Retry-After: 1
            var image = TestImages.Image("throttled");
            _registry.Push("team/throttled", "1", image);
            _gate.ThrottleBlobs(2);
            using var client = _fixture.Client(PullFixture.Env(_gate.Host, "robot", "token-pw"));
            var archive = _fixture.Output("images.oci.tar");

            // When
            var pulled = await new ImagePuller(client, parallelism: 1).PullAsync(ImageReference.Parse($"{_gate.Host}/team/throttled:1"), "amd64", TestContext.Current.CancellationToken);
            var contents = await OciArchive.WriteAsync(archive, [pulled], client.Cache, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(2, _gate.Requests.Count(r => r.EndsWith(" 429", StringComparison.Ordinal)));
            Assert.Contains(_fixture.Retries, r => r.Contains("429", StringComparison.Ordinal));
            Assert.Contains("amd64", contents.ArchesOf($"{_gate.Host}/team/throttled:1"));
        }

        public async ValueTask DisposeAsync()
        {
            await _gate.DisposeAsync();
            _registry.Dispose();
            _fixture.Dispose();
        }
    }
}
