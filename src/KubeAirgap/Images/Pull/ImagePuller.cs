using System.Collections.Concurrent;
using KubeAirgap.ImageRefs;
using KubeAirgap.Images.Cache;
using KubeAirgap.Images.Oci;
using KubeAirgap.Images.Registry;
using KubeAirgap.Content;

namespace KubeAirgap.Images.Pull;

/// <summary>
/// Pulls images for one arch into the blob store: resolves an index or manifest list to the arch's manifest,
/// then fetches config and layers in parallel. A blob already stored, or being fetched for another image, is
/// not fetched again. A digest-pinned image whose blobs are all cached needs no network at all.
/// </summary>
public sealed class ImagePuller
{
    private readonly RegistryClient _client;
    private readonly ArtifactCache _store;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _inflight = new(StringComparer.Ordinal);

    public ImagePuller(RegistryClient client, int parallelism = 4)
    {
        _client = client;
        _store = client.Cache;
        _slots = new SemaphoreSlim(Math.Max(1, parallelism));
    }

    public Action<string>? Log { get; set; }

    public async Task<IReadOnlyList<PulledImage>> PullAllAsync(IEnumerable<ImageReference> references, string arch, CancellationToken cancellationToken = default)
    {
        var tasks = references.Select(r => PullAsync(r, arch, cancellationToken)).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public async Task<PulledImage> PullAsync(ImageReference reference, string arch, CancellationToken cancellationToken = default)
    {
        var top = await ManifestAsync(reference, reference.ManifestReference, cancellationToken).ConfigureAwait(false);
        var pinned = reference with { Tag = reference.Tag ?? (reference.Digest is null ? "latest" : null), Digest = top.Digest };
        var blobs = new List<Descriptor> { top.Descriptor };
        var manifest = top;
        if (top.IsIndex)
        {
            var children = top.Children();
            var child = children.FirstOrDefault(c => Matches(c.Platform, arch))
                ?? throw new RegistryException(
                    $"{reference}: its index {top.Digest} has no linux/{arch} image (it has: {string.Join(", ", children.Select(c => c.Platform?.ToString() ?? "no platform"))})");
            if (!Content.Digest.IsSha256(child.Digest))
            {
                // never fetched like a tag: a child is only ever fetched by a digest its bytes can be checked against
                throw new RegistryException($"{reference}: index {top.Digest} names its linux/{arch} manifest by '{child.Digest}', which is not a sha256 digest; refused");
            }

            manifest = await ManifestAsync(reference, child.Digest, cancellationToken).ConfigureAwait(false);
            if (manifest.IsIndex)
            {
                throw new RegistryException($"{reference}: the linux/{arch} entry {child.Digest} is itself an index; nested indexes are not supported");
            }

            blobs.Add(manifest.Descriptor with { MediaType = child.MediaType.Length > 0 ? child.MediaType : manifest.MediaType });
        }

        var config = manifest.Config();
        if (manifest.Layers().Prepend(config).FirstOrDefault(d => !Content.Digest.IsSha256(d.Digest) || d.Size < 0) is { } descriptor)
        {
            throw new RegistryException($"{reference}: manifest {manifest.Digest} names blob '{descriptor.Digest}' ({descriptor.Size} bytes), which is not a sha256 digest with a size; refused");
        }

        await BlobAsync(reference, config, cancellationToken).ConfigureAwait(false);
        var platform = ManifestDocument.ConfigPlatform(await File.ReadAllBytesAsync(_store.PathOfBlob(config.Digest), cancellationToken).ConfigureAwait(false));
        if (platform.Os != "linux" || platform.Architecture != arch)
        {
            throw new RegistryException($"{reference}: manifest {manifest.Digest} is a {platform} image, not linux/{arch}");
        }

        var layers = manifest.Layers();
        await Task.WhenAll(layers.Select(l => BlobAsync(reference, l, cancellationToken))).ConfigureAwait(false);
        blobs.Add(config);
        blobs.AddRange(layers);
        Log?.Invoke($"{reference.NameWithTag}@{top.Digest} linux/{arch}: {layers.Count} layer(s), {blobs.Sum(b => b.Size)} bytes");
        return new PulledImage(pinned, top.Descriptor, arch, blobs.DistinctBy(b => b.Digest).ToList());
    }

    /// <summary>amd64 matches any variant; arm64 matches v8 or no variant.</summary>
    public static bool Matches(Platform? platform, string arch) =>
        platform is not null && platform.Os == "linux" && platform.Architecture == arch
        && (arch != "arm64" || platform.Variant is null or "v8");

    private async Task<ManifestDocument> ManifestAsync(ImageReference image, string reference, CancellationToken ct)
    {
        if (Content.Digest.IsSha256(reference) && _store.ContainsBlob(reference))
        {
            var cached = await File.ReadAllBytesAsync(_store.PathOfBlob(reference), ct).ConfigureAwait(false);
            if (Content.Digest.Of(cached).ToString() == reference)
            {
                return new ManifestDocument(ManifestDocument.DetectMediaType(cached, null), reference, cached);
            }
        }

        ManifestDocument document;
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            document = await _client.GetManifestAsync(image, reference, ct).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }

        _store.AddBlob(document.Digest, document.Bytes);
        return document;
    }

    private Task BlobAsync(ImageReference image, Descriptor blob, CancellationToken ct)
    {
        if (_store.ContainsBlob(blob.Digest))
        {
            return Task.CompletedTask;
        }

        var lazy = _inflight.GetOrAdd(blob.Digest, _ => new Lazy<Task>(() => FetchAsync(image, blob, ct)));
        return lazy.Value;
    }

    private async Task FetchAsync(ImageReference image, Descriptor blob, CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _client.DownloadBlobAsync(image, blob, ct).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
            _inflight.TryRemove(blob.Digest, out _);
        }
    }
}
