using System.Text.Json;
using System.Text.Json.Serialization;
using KubeAirgap.Content;

namespace KubeAirgap.Fetch;

/// <summary>
/// A source artifact (layout <c>source</c>, e.g. nginx) is not extracted: Fetch writes this record to
/// <c>&lt;payload&gt;/sources/&lt;name&gt;.json</c> so the task that builds it (Nginx) finds the verified tarball in the cache.
/// </summary>
public sealed record StagedSource(
    string Name,
    string Version,
    string? License,
    string Url,
    string Digest,
    string Path,
    string? SignaturePath,
    string? SignedBy)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public static string FileOf(string payloadDirectory, string name) => System.IO.Path.Combine(payloadDirectory, "sources", name + ".json");

    /// <summary>Reads <c>&lt;payload&gt;/sources/&lt;name&gt;.json</c>, as written by Fetch.</summary>
    public static StagedSource Read(string payloadDirectory, string name)
    {
        var file = FileOf(payloadDirectory, name);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"{file} not found: run the Fetch task first", file);
        }

        return JsonSerializer.Deserialize<StagedSource>(File.ReadAllText(file), Json)
            ?? throw new InvalidDataException($"{file}: empty");
    }

    public static StagedSource From(FetchedArtifact artifact) => new(
        artifact.Item.Component.Name,
        artifact.Item.Component.Version,
        artifact.Item.Component.License,
        artifact.Item.Artifact.Url,
        artifact.Item.Digest.ToString(),
        artifact.Path,
        artifact.SignaturePath,
        artifact.Signer?.Fingerprint);

    public string Write(string payloadDirectory)
    {
        var file = FileOf(payloadDirectory, Name);
        AtomicFile.Write(file, JsonSerializer.Serialize(this, Json));
        return file;
    }
}
