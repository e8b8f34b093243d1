using KubeAirgap.ImageRefs;
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
            var resolved = (await client.GetManifestAsync(KubeAirgap.ImageRefs.ImageReference.Parse($"{_registry.Host}/private/app:2"), "2", TestContext.Current.CancellationToken)).Digest;

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

        [Fact]
        public async Task Should_Follow_A_Redirect_To_Another_Host_With_Its_Own_Token()
        {
            // Given: like registry.k8s.io, a front that answers the ping and redirects everything else
            var image = TestImages.Image("redirected");
            var digest = _registry.Push("team/redirected", "1", image);
            // (credentials go by host: the front's are never sent to the host it redirects to)
            await using var front = await RedirectServer.StartAsync(new Uri($"http://{_gate.Host}"));
            using var client = _fixture.Client(PullFixture.Env(_gate.Host, "robot", "token-pw"));

            // When
            var pulled = await new ImagePuller(client).PullAsync(ImageReference.Parse($"{front.Host}/team/redirected:1"), "amd64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(digest, pulled.Target.Digest);
            Assert.Contains("repository:team/redirected:pull", _gate.TokenScopes);
            Assert.Contains(_gate.Requests, r => r.StartsWith($"/v2/team/redirected/blobs/{image.Layers[1].Digest} 200", StringComparison.Ordinal));
        }

        public async ValueTask DisposeAsync()
        {
            await _gate.DisposeAsync();
            _registry.Dispose();
            _fixture.Dispose();
        }
    }

    /// <summary>docker-registry itself in token-auth mode, verifying the JWTs the Kestrel token server signs.</summary>
    public sealed class WithRegistryTokenAuth : IAsyncLifetime
    {
        private readonly PullFixture _fixture = new();
        private GateServer _tokens = null!;
        private TestRegistry _registry = null!;

        public async ValueTask InitializeAsync()
        {
            _tokens = await GateServer.StartAsync(upstream: null, ("robot", "token-pw"));
            _registry = new TestRegistry(tokenServer: _tokens);
        }

        [Fact]
        public async Task Should_Pull_With_A_Token_The_Registry_Verifies()
        {
            // Given: a token with a broken signature is refused by the registry itself
            var digest = _registry.Push("secure/app", "1", TestImages.Image("token auth"));
            using var anonymous = new HttpClient();
            using var ping = await anonymous.GetAsync(new Uri(_registry.BaseUri, "/v2/"), TestContext.Current.CancellationToken);
            using var forged = new HttpRequestMessage(HttpMethod.Get, new Uri(_registry.BaseUri, "/v2/secure/app/manifests/1"));
            forged.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _tokens.Mint("secure/app", "pull")[..^4] + "AAAA");
            using var forgedResponse = await anonymous.SendAsync(forged, TestContext.Current.CancellationToken);
            var credentials = new RegistryCredentials(
                new Dictionary<string, string>
                {
                    [$"KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(_registry.Host)}_USERNAME"] = "robot",
                    [$"KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(_registry.Host)}_PASSWORD"] = "token-pw",
                },
                new Dictionary<string, Credential>());
            using var withCredentials = _fixture.Client(credentials);

            // When
            var pulled = await new ImagePuller(withCredentials).PullAsync(ImageReference.Parse($"{_registry.Host}/secure/app:1"), "amd64", TestContext.Current.CancellationToken);

            // Then
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, ping.StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, forgedResponse.StatusCode);
            Assert.Contains($"realm=\"http://{_tokens.Host}/token\"", ping.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Equal(digest, pulled.Target.Digest);
            Assert.Contains("repository:secure/app:pull", _tokens.TokenScopes);
        }

        [Fact]
        public async Task Should_Not_Pull_Without_Credentials_For_The_Token_Server()
        {
            // Given
            _registry.Push("secure/app", "2", TestImages.Image("token auth 2"));
            using var client = _fixture.Client();

            // When
            var error = await Assert.ThrowsAsync<RegistryException>(() =>
                new ImagePuller(client).PullAsync(ImageReference.Parse($"{_registry.Host}/secure/app:2"), "amd64", TestContext.Current.CancellationToken));

            // Then
            Assert.Contains($"token server http://{_tokens.Host}/token: 401", error.Message, StringComparison.Ordinal);
            Assert.Empty(_fixture.CachedBlobs());
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                _registry.Dispose();
                await _tokens.DisposeAsync();
            }
            finally
            {
                _fixture.Dispose();
            }
        }
    }
}
