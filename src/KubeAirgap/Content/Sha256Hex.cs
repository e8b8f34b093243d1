using System.Security.Cryptography;
using System.Text;

namespace KubeAirgap.Content;

/// <summary>sha256 as 64 lower-case hex digits: what SHA256SUMS, manifests, ledgers and fingerprints record.</summary>
public static class Sha256Hex
{
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Of the rest of <paramref name="stream"/>.</summary>
    public static string Of(Stream stream) => Convert.ToHexStringLower(SHA256.HashData(stream));

    /// <summary>Of <paramref name="text"/> as UTF-8 (cache keys and fingerprints built from text).</summary>
    public static string OfText(string text) => Of(Encoding.UTF8.GetBytes(text));

    public static string OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Of(stream);
    }
}
