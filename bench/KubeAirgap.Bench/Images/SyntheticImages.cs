using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using KubeAirgap.Images.Oci;
using KubeAirgap.TestSupport.Registry;

namespace KubeAirgap.Bench.Images;

/// <summary>
/// Images for the benchmark: <c>count</c> single-arch images that all share one base layer of
/// <c>sharedBytes</c> and each add a layer of <c>uniqueBytes</c> (seeded pseudo-random content, so gzip
/// cannot shrink it and every run builds the same bytes).
/// </summary>
public sealed class SyntheticImages
{
    private readonly List<(string Repository, byte[] Config, byte[] Manifest, byte[][] Layers)> _images = [];

    public SyntheticImages(int count, int sharedBytes, int uniqueBytes)
    {
        var shared = Layer("base.bin", Noise(sharedBytes, seed: 1));
        for (var i = 0; i < count; i++)
        {
            var unique = Layer($"app{i}.bin", Noise(uniqueBytes, seed: 100 + i));
            var config = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["architecture"] = "amd64",
                ["os"] = "linux",
                ["rootfs"] = new Dictionary<string, object> { ["type"] = "layers", ["diff_ids"] = new[] { shared.DiffId, unique.DiffId } },
            });
            var manifest = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = MediaTypes.OciManifest,
                ["config"] = Descriptor(MediaTypes.OciConfig, config),
                ["layers"] = new[] { Descriptor(MediaTypes.OciLayerGzip, shared.Gzip), Descriptor(MediaTypes.OciLayerGzip, unique.Gzip) },
            });
            _images.Add(($"bench/image{i}", config, manifest, [shared.Gzip, unique.Gzip]));
        }
    }

    public const string Tag = "1.0";

    public IReadOnlyList<string> Repositories => _images.Select(i => i.Repository).ToList();

    /// <summary>The sum of every image's size (manifest + config + layers), as if none shared anything.</summary>
    public long SumOfImageSizes => _images.Sum(i => i.Config.LongLength + i.Manifest.LongLength + i.Layers.Sum(l => l.LongLength));

    public async Task PushAsync(RegistryPusher pusher, CancellationToken cancellationToken = default)
    {
        foreach (var (repository, config, manifest, layers) in _images)
        {
            foreach (var blob in layers.Append(config))
            {
                await pusher.PushBlobAsync(repository, KubeAirgap.Content.Digest.Of(blob).ToString(), blob, cancellationToken).ConfigureAwait(false);
            }

            await pusher.PushManifestAsync(repository, Tag, MediaTypes.OciManifest, manifest, cancellationToken).ConfigureAwait(false);
        }
    }

    private static byte[] Noise(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static (byte[] Gzip, string DiffId) Layer(string name, byte[] content)
    {
        using var tarBytes = new MemoryStream();
        using (var tar = new TarWriter(tarBytes, TarEntryFormat.Ustar, leaveOpen: true))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
            {
                ModificationTime = DateTimeOffset.UnixEpoch,
                Mode = (UnixFileMode)Convert.ToInt32("644", 8),
                DataStream = new MemoryStream(content),
            });
        }

        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
        {
            tarBytes.Position = 0;
            tarBytes.CopyTo(gzip);
        }

        return (gz.ToArray(), KubeAirgap.Content.Digest.Of(tarBytes.ToArray()).ToString());
    }

    private static Dictionary<string, object> Descriptor(string mediaType, byte[] blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = KubeAirgap.Content.Digest.Of(blob).ToString(), ["size"] = blob.LongLength };
}
