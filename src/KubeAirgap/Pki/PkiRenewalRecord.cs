using System.Text.Json;

namespace KubeAirgap.Pki;

/// <summary>One leaf a build re-issued: its label (<c>etcd-server[k8s-01]</c>), why, its new sha256 and expiry.</summary>
public sealed record PkiReissue(string Certificate, string Reason, string Sha256, string NotAfter);

/// <summary>
/// What a Pki run did about renewal: the clock override (<c>--pki_asof</c>, null when the real clock decided), the
/// names forced by <c>--pki_renew</c>, the window, the leaves it re-issued and the nodes whose files changed. Written
/// into pki-files.json (<c>renewal</c>) and copied by Bundle into bundle-manifest.json (<c>pki</c>), so a renewal
/// bundle says how it came about.
/// </summary>
public sealed record PkiRenewalRecord(
    string? AsOf,
    IReadOnlyList<string> Forced,
    int RenewBeforeDays,
    IReadOnlyList<PkiReissue> Reissued,
    IReadOnlyList<string> ChangedNodes)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The record in pki-files.json at <paramref name="path"/>; null when the file is missing or has none.</summary>
    public static PkiRenewalRecord? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.TryGetProperty("renewal", out var r) && r.ValueKind == JsonValueKind.Object
            ? r.Deserialize<PkiRenewalRecord>(Options)
            : null;
    }
}
