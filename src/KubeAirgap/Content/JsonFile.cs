using System.Text.Json;
using System.Text.Json.Serialization;

namespace KubeAirgap.Content;

/// <summary>
/// The JSON the build writes and reads back (bundle-manifest.json, manifest.json, state/&lt;cluster&gt;/members.json):
/// camelCase, indented, every property written, a trailing newline. Write the bytes through <see cref="AtomicFile"/>.
/// </summary>
public static class JsonFile
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] Serialize<T>(T value)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        return [.. bytes, (byte)'\n'];
    }

    public static T Read<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Options)
        ?? throw new InvalidDataException($"{path}: empty JSON document");
}
