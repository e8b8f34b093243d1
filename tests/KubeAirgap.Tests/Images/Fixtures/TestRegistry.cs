using System.Net.Http.Headers;
using System.Text;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;
using KubeAirgap.TestSupport.Registry;
using KubeAirgap.Tests.Support;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>
/// Debian's docker-registry (distribution 2.8) on 127.0.0.1 with a free port and storage in a temp dir,
/// optionally behind htpasswd basic auth. The test pushes images into it over the registry API.
/// </summary>
public sealed class TestRegistry : IDisposable
{
    public const string User = "puller";
    public const string Password = "s3cret-pw";

    private readonly TempDirectory _dir = new("kag-registry");
    private readonly BackgroundProcess _process;
    private readonly HttpClient _http;
    private bool _disposed;

    /// <param name="tls">Serve https with this CA's server certificate (docker-registry's own http.tls), as upstream registries do.</param>
    public TestRegistry(bool basicAuth = false, GateServer? tokenServer = null, KubeAirgap.Tests.Fetch.Fixtures.TestCa? tls = null)
    {
        TokenServer = tokenServer;
        Tls = tls;
        _http = tls is null ? new HttpClient() : new HttpClient(tls.Handler());
        Port = Ports.Free();
        var auth = string.Empty;
        if (basicAuth)
        {
            var htpasswd = _dir.Combine("htpasswd");
            Cmd.Run("htpasswd", "-B", "-b", "-c", htpasswd, User, Password).EnsureSuccess("htpasswd");
            auth = $"auth:\n  htpasswd:\n    realm: kube-airgap-test\n    path: {htpasswd}\n";
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Password}")));
        }

        if (tokenServer is not null)
        {
            auth = tokenServer.TokenAuthConfig(_dir.Write("token-issuer.pem", tokenServer.CertificatePem));
        }

        var config = _dir.Write("config.yml",
            "version: 0.1\n" +
            "log:\n  level: error\n  accesslog:\n    disabled: true\n" +
            $"storage:\n  filesystem:\n    rootdirectory: {Storage}\n  delete:\n    enabled: true\n" +
            $"http:\n  addr: 127.0.0.1:{Port}\n  secret: kube-airgap-test-secret\n" + TlsConfig() + auth);
        _process = new BackgroundProcess("/usr/bin/docker-registry", ["serve", config]);
        _process.WaitUntil(() => Ports.IsOpen("127.0.0.1", Port), TimeSpan.FromSeconds(20), "listening");
    }

    public int Port { get; }

    public KubeAirgap.Tests.Fetch.Fixtures.TestCa? Tls { get; }

    /// <summary>The token server this registry trusts (docker/distribution token auth), if any.</summary>
    public GateServer? TokenServer { get; }

    /// <summary><c>127.0.0.1:port</c>, the registry part of image references.</summary>
    public string Host => $"127.0.0.1:{Port}";

    public string Storage => _dir.Combine("storage");

    public Uri BaseUri => new($"{(Tls is null ? "http" : "https")}://{Host}");

    /// <summary>The file in the registry's storage that holds a blob (tests corrupt it).</summary>
    public string BlobFile(string digest) =>
        System.IO.Path.Combine(Storage, "docker", "registry", "v2", "blobs", "sha256", KubeAirgap.Content.Digest.HexOf(digest)[..2], KubeAirgap.Content.Digest.HexOf(digest), "data");

    public string Push(string repository, string tag, TestImage image)
    {
        foreach (var blob in image.Blobs)
        {
            PushBlob(repository, blob);
        }

        return PushManifest(repository, tag, image.Manifest);
    }

    public string Push(string repository, string tag, TestIndex index)
    {
        foreach (var image in index.Images)
        {
            foreach (var blob in image.Blobs)
            {
                PushBlob(repository, blob);
            }

            PushManifest(repository, image.Manifest.Digest, image.Manifest);
        }

        return PushManifest(repository, tag, index.Index);
    }

    private string TlsConfig()
    {
        if (Tls is null)
        {
            return string.Empty;
        }

        var (certificate, key) = Tls.WritePem(_dir.Path);
        return $"  tls:\n    certificate: {certificate}\n    key: {key}\n";
    }

    /// <summary>Stops the registry (by PID) and removes its storage; safe to call twice (tests stop it early).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            _process.Dispose();
            _http.Dispose();
        }
        finally
        {
            _dir.Dispose();
        }
    }

    private void PushBlob(string repository, TestBlob blob) =>
        new RegistryPusher(HttpFor(repository), BaseUri).PushBlobAsync(repository, blob.Digest, blob.Bytes).GetAwaiter().GetResult();

    private string PushManifest(string repository, string reference, TestBlob manifest) =>
        new RegistryPusher(HttpFor(repository), BaseUri).PushManifestAsync(repository, reference, manifest.MediaType, manifest.Bytes).GetAwaiter().GetResult();

    /// <summary>With token auth, a pull+push token for <paramref name="repository"/> minted by the token server.</summary>
    private HttpClient HttpFor(string repository)
    {
        if (TokenServer is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenServer.Mint(repository, "pull", "push"));
        }

        return _http;
    }
}
