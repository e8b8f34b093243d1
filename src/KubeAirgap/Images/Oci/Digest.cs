using System.Security.Cryptography;

namespace KubeAirgap.Images.Oci;

/// <summary>sha256 content digests (<c>sha256:&lt;64 hex&gt;</c>), the only algorithm registries use for images today.</summary>
public static class Digest
{
    public const string Prefix = "sha256:";

    public static string Of(ReadOnlySpan<byte> bytes) => Prefix + Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string Of(Stream stream) => Prefix + Convert.ToHexStringLower(SHA256.HashData(stream));

    public static bool IsValid(string? digest) =>
        digest is not null && digest.StartsWith(Prefix, StringComparison.Ordinal) && digest.Length == Prefix.Length + 64
        && digest.AsSpan(Prefix.Length).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The hex part, after checking that <paramref name="digest"/> is a sha256 digest.</summary>
    public static string Hex(string digest) =>
        IsValid(digest) ? digest[Prefix.Length..] : throw new FormatException($"'{digest}' is not a sha256 digest (sha256:<64 lowercase hex>)");
}
