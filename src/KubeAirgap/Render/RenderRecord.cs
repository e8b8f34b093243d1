using System.Text.Json;
using System.Text.Json.Serialization;
using KubeAirgap.Cluster;
using KubeAirgap.Content;
using KubeAirgap.Pins;
using KubeAirgap.Render.Model;
using KubeAirgap.Render.Versions;

namespace KubeAirgap.Render;

/// <summary>
/// What a Render run tells Bundle, a separate task that may run in another process: <c>render-record.json</c> in
/// artifacts/&lt;cluster&gt;/, written by every Render before it writes a node tree. <c>testBundle</c> is set when
/// the test-only setting RelaxSupportedVersions let versions older than the Kubernetes release supports through;
/// Bundle stamps the bundle set from it (and from the pins themselves, so a missing record cannot drop the stamp).
/// </summary>
public sealed record RenderRecord(int SchemaVersion, TestBundleStamp? TestBundle)
{
    public const string FileName = "render-record.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>
    /// The record of rendering <paramref name="spec"/> with <paramref name="pins"/>: a test-bundle stamp naming every
    /// version older than the release supports when <paramref name="relaxSupportedVersions"/> lets them through; without
    /// it such versions are the input error Render reports (<see cref="ModelBuilder.VersionsOf"/>).
    /// </summary>
    public static RenderRecord For(ClusterSpec spec, PinsFile pins, bool relaxSupportedVersions)
    {
        ModelBuilder.VersionsOf(spec, pins, relaxSupportedVersions);
        return new RenderRecord(1, relaxSupportedVersions ? TestBundleStamp.Of(ModelBuilder.Unsupported(spec, pins)) : null);
    }

    /// <summary>The record in <paramref name="dir"/>; null when there is none (trees rendered before records existed).</summary>
    public static RenderRecord? Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<RenderRecord>(File.ReadAllBytes(path), Options)
                ?? throw new InvalidDataException($"{path}: empty JSON document; run Render again");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a render record ({e.Message}); run Render again", e);
        }
    }

    /// <summary>Writes the record into <paramref name="dir"/> (atomically; not at all when it holds these bytes).</summary>
    public void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        byte[] json = [.. JsonSerializer.SerializeToUtf8Bytes(this, Options), (byte)'\n'];
        AtomicFile.WriteIfChanged(Path.Combine(dir, FileName), json);
    }
}
