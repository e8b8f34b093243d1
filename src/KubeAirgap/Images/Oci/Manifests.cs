using System.Text.Json;

namespace KubeAirgap.Images.Oci;

/// <summary>A manifest or index as fetched: its exact bytes (what the digest covers) and what they say.</summary>
public sealed record ManifestDocument(string MediaType, string Digest, byte[] Bytes)
{
    public Descriptor Descriptor => new(MediaType, Digest, Bytes.LongLength);

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>The entries of an index or manifest list.</summary>
    public IReadOnlyList<Descriptor> Children()
    {
        using var doc = JsonDocument.Parse(Bytes);
        return doc.RootElement.TryGetProperty("manifests", out var manifests)
            ? manifests.EnumerateArray().Select(ReadDescriptor).ToList()
            : [];
    }

    /// <summary>An image manifest's config blob.</summary>
    public Descriptor Config()
    {
        using var doc = JsonDocument.Parse(Bytes);
        return doc.RootElement.TryGetProperty("config", out var config)
            ? ReadDescriptor(config)
            : throw new FormatException($"manifest {Digest} has no config");
    }

    /// <summary>An image manifest's layers, in order.</summary>
    public IReadOnlyList<Descriptor> Layers()
    {
        using var doc = JsonDocument.Parse(Bytes);
        return doc.RootElement.TryGetProperty("layers", out var layers)
            ? layers.EnumerateArray().Select(ReadDescriptor).ToList()
            : [];
    }

    /// <summary>
    /// The media type of a manifest: its own <c>mediaType</c> field, else the server's Content-Type, else
    /// guessed from its shape (an index has <c>manifests</c>).
    /// </summary>
    public static string DetectMediaType(byte[] bytes, string? contentType)
    {
        using var doc = JsonDocument.Parse(bytes);
        if (doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String)
        {
            return mt.GetString()!;
        }

        if (contentType is not null && (MediaTypes.IsIndex(contentType) || MediaTypes.IsManifest(contentType)))
        {
            return contentType;
        }

        return doc.RootElement.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
    }

    /// <summary>The os/architecture an image config declares.</summary>
    public static Platform ConfigPlatform(byte[] configBytes)
    {
        using var doc = JsonDocument.Parse(configBytes);
        var root = doc.RootElement;
        return new Platform(
            root.TryGetProperty("os", out var os) ? os.GetString() ?? string.Empty : string.Empty,
            root.TryGetProperty("architecture", out var arch) ? arch.GetString() ?? string.Empty : string.Empty,
            root.TryGetProperty("variant", out var variant) ? variant.GetString() : null);
    }

    private static Descriptor ReadDescriptor(JsonElement e)
    {
        Platform? platform = null;
        if (e.TryGetProperty("platform", out var p))
        {
            platform = new Platform(
                p.TryGetProperty("os", out var os) ? os.GetString() ?? string.Empty : string.Empty,
                p.TryGetProperty("architecture", out var arch) ? arch.GetString() ?? string.Empty : string.Empty,
                p.TryGetProperty("variant", out var variant) ? variant.GetString() : null);
        }

        return new Descriptor(
            e.TryGetProperty("mediaType", out var mt) ? mt.GetString() ?? string.Empty : string.Empty,
            e.GetProperty("digest").GetString() ?? string.Empty,
            e.GetProperty("size").GetInt64(),
            platform);
    }
}
