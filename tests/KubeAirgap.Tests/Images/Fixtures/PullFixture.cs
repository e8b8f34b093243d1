using KubeAirgap.Fetch;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Cache;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Pull;
using KubeAirgap.Images.Registry;
using KubeAirgap.Tests.Support;
using KubeAirgap.Content;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>A fresh blob cache and output folder per test, and clients with short retry delays.</summary>
public sealed class PullFixture : IDisposable
{
    private readonly TempDirectory _dir = new("kag-images");

    public string Root => _dir.Path;

    public string CacheRoot => _dir.Combine("cache");

    public ArtifactCache Cache => new(CacheRoot);

    public string Output(string name) => _dir.Combine("out", name);

    public List<string> Retries { get; } = [];

    /// <param name="transport">The HTTP handler under auth (a <see cref="KubeAirgap.Tests.Fetch.Fixtures.TestCa"/> handler for TLS registries).</param>
    public RegistryClient Client(ICredentialSource? credentials = null, RegistryOptions? options = null, HttpMessageHandler? transport = null,
        KubeAirgap.Content.Download.DownloadOptions? downloads = null)
    {
        options ??= new RegistryOptions();
        var client = new RegistryClient(
            options with { Credentials = credentials ?? options.Credentials, BaseDelay = TimeSpan.FromMilliseconds(50), MaxAttempts = 4 },
            Cache, downloads, transport: transport);
        client.OnRetry = message =>
        {
            lock (Retries)
            {
                Retries.Add(message);
            }
        };
        return client;
    }

    public static ICredentialSource Env(string host, string user, string password) =>
        new RegistryCredentials(
            new Dictionary<string, string>
            {
                [$"KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(host)}_USERNAME"] = user,
                [$"KUBE_AIRGAP_REGISTRY_{RegistryCredentials.EnvironmentKey(host)}_PASSWORD"] = password,
            },
            new Dictionary<string, Credential>());

    /// <summary>Every file in the cache outside its tmp/ folder: only verified blobs may be there.</summary>
    public IReadOnlyList<string> CachedBlobs() =>
        Directory.Exists(Path.Combine(CacheRoot, "sha256"))
            ? Directory.GetFiles(Path.Combine(CacheRoot, "sha256")).Select(Path.GetFileName).Select(f => "sha256:" + f).ToList()!
            : [];

    /// <summary>
    /// Puts a test image's blobs straight into the cache and describes it as pulled (no registry), for archive and
    /// completeness tests.
    /// </summary>
    public PulledImage Cached(string reference, TestImage image)
    {
        var cache = Cache;
        foreach (var blob in image.Blobs.Append(image.Manifest))
        {
            cache.AddBlob(blob.Digest, blob.Bytes);
        }

        var target = new Descriptor(image.Manifest.MediaType, image.Manifest.Digest, image.Manifest.Size);
        return new PulledImage(
            ImageReference.Parse(reference).WithDigest(image.Manifest.Digest),
            target,
            image.Arch,
            image.Blobs.Select(b => new Descriptor(b.MediaType, b.Digest, b.Size)).Prepend(target).ToList());
    }

    public void Dispose() => _dir.Dispose();
}
