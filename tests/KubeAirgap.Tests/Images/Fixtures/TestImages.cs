using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using KubeAirgap.Images.Oci;

namespace KubeAirgap.Tests.Images.Fixtures;

/// <summary>A blob of a test image: its bytes and descriptor.</summary>
public sealed record TestBlob(string MediaType, byte[] Bytes)
{
    public string Digest => KubeAirgap.Content.Digest.Of(Bytes).ToString();

    public long Size => Bytes.LongLength;
}

/// <summary>A single-arch test image: manifest, config and gzip layers (built in memory, no tools).</summary>
public sealed record TestImage(TestBlob Manifest, TestBlob Config, IReadOnlyList<TestBlob> Layers, string Arch)
{
    public IEnumerable<TestBlob> Blobs => Layers.Prepend(Config);

    public long Size => Manifest.Size + Config.Size + Layers.Sum(l => l.Size);
}

/// <summary>A multi-arch test image: an OCI index over single-arch images.</summary>
public sealed record TestIndex(TestBlob Index, IReadOnlyList<TestImage> Images);

/// <summary>
/// Builds tiny real images: a base layer with the static busybox (shared by every image built here) and a layer
/// with <c>/hello.txt</c>; the command prints that file. Media types can be OCI or Docker schema 2.
/// </summary>
public static class TestImages
{
    public const string BusyboxPath = "/bin/busybox";

    private static readonly Lazy<TestBlob> Base = new(() => Layer(("bin/busybox", File.ReadAllBytes(BusyboxPath), "755")));

    /// <summary>The layer every test image shares (static busybox, about 1 MB gzipped).</summary>
    public static TestBlob BaseLayer => Base.Value;

    public static TestImage Image(string message, string arch = "amd64", bool docker = false, string annotation = "test")
    {
        var app = Layer(("hello.txt", Encoding.UTF8.GetBytes(message + "\n"), "644"));
        var layers = new[] { BaseLayer, app };
        var config = Json(new Dictionary<string, object?>
        {
            ["architecture"] = arch,
            ["os"] = "linux",
            ["config"] = new Dictionary<string, object?> { ["Cmd"] = new[] { "/bin/busybox", "cat", "/hello.txt" } },
            ["rootfs"] = new Dictionary<string, object?> { ["type"] = "layers", ["diff_ids"] = layers.Select(DiffId).ToArray() },
        });
        var configBlob = new TestBlob(docker ? "application/vnd.docker.container.image.v1+json" : MediaTypes.OciConfig, config);
        var layerType = docker ? "application/vnd.docker.image.rootfs.diff.tar.gzip" : MediaTypes.OciLayerGzip;
        var manifestType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest;
        var manifest = Json(new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = manifestType,
            ["config"] = Descriptor(configBlob.MediaType, configBlob),
            ["layers"] = layers.Select(l => Descriptor(layerType, l)).ToArray(),
            ["annotations"] = new Dictionary<string, string> { ["test.kube-airgap/note"] = annotation },
        });
        return new TestImage(new TestBlob(manifestType, manifest), configBlob, layers.Select(l => l with { MediaType = layerType }).ToList(), arch);
    }

    public static TestIndex Index(params TestImage[] images)
    {
        var index = Json(new Dictionary<string, object?>
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = images.Select(i =>
            {
                var d = Descriptor(i.Manifest.MediaType, i.Manifest);
                d["platform"] = new Dictionary<string, string> { ["os"] = "linux", ["architecture"] = i.Arch };
                return d;
            }).ToArray(),
        });
        return new TestIndex(new TestBlob(MediaTypes.OciIndex, index), images);
    }

    public static TestBlob Layer(params (string Path, byte[] Bytes, string Mode)[] files)
    {
        using var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Tar(files));
        }

        return new TestBlob(MediaTypes.OciLayerGzip, gz.ToArray());
    }

    private static byte[] Tar((string Path, byte[] Bytes, string Mode)[] files)
    {
        using var ms = new MemoryStream();
        using (var tar = new TarWriter(ms, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var dir in files.Select(f => Path.GetDirectoryName(f.Path)).Where(d => !string.IsNullOrEmpty(d)).Distinct())
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.Directory, dir + "/") { Mode = (UnixFileMode)Convert.ToInt32("755", 8), ModificationTime = DateTimeOffset.UnixEpoch });
            }

            foreach (var (path, bytes, mode) in files)
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path)
                {
                    Mode = (UnixFileMode)Convert.ToInt32(mode, 8),
                    ModificationTime = DateTimeOffset.UnixEpoch,
                    DataStream = new MemoryStream(bytes),
                });
            }
        }

        return ms.ToArray();
    }

    private static string DiffId(TestBlob layer)
    {
        using var gzip = new GZipStream(new MemoryStream(layer.Bytes), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        gzip.CopyTo(raw);
        return KubeAirgap.Content.Digest.Of(raw.ToArray()).ToString();
    }

    private static Dictionary<string, object?> Descriptor(string mediaType, TestBlob blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = blob.Digest, ["size"] = blob.Size };

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value, new JsonSerializerOptions { WriteIndented = true });
}
