using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KubeAirgap.Nginx;

/// <summary>
/// meta/kube-nginx.json: what the binary is and what it needs from a node. The bundle copies <see cref="Glibc"/>
/// into the bundle manifest, and the installer's preflight refuses a node whose glibc is older.
/// </summary>
public sealed record KubeNginxMetadata(
    string Version,
    string? SourceSha256,
    IReadOnlyList<string> ConfigureArgs,
    string Compiler,
    string Arch,
    bool Static,
    string? Glibc,
    IReadOnlyList<string> NeededLibraries,
    string Sha256,
    string? BuildKey)
{
    public const string FileName = "kube-nginx.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    public static KubeNginxMetadata FromJson(string json, string path) =>
        JsonSerializer.Deserialize<KubeNginxMetadata>(json, Json)
        ?? throw new KubeNginxException($"{path}: empty kube-nginx metadata");
}
