using System.Security.Cryptography;

namespace KubeAirgap.Content;

/// <summary>
/// A content digest, <c>sha256:&lt;hex&gt;</c> or <c>sha512:&lt;hex&gt;</c> (lower-case hex): of pinned artifacts
/// (either algorithm) and of image blobs and manifests (sha256, the only algorithm registries use for images today).
/// </summary>
public sealed record Digest
{
    private static readonly Dictionary<string, int> HexLengths = new(StringComparer.Ordinal) { ["sha256"] = 64, ["sha512"] = 128 };

    private Digest(string algorithm, string hex)
    {
        Algorithm = algorithm;
        Hex = hex;
    }

    /// <summary><c>sha256</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; }

    public string Hex { get; }

    public static Digest Sha256(string hex) => Create("sha256", hex);

    public static Digest Sha512(string hex) => Create("sha512", hex);

    public static Digest Create(string algorithm, string hex)
    {
        if (!HexLengths.TryGetValue(algorithm, out var length))
        {
            throw new FormatException($"'{algorithm}' is not a supported digest algorithm (sha256, sha512)");
        }

        hex = hex.Trim().ToLowerInvariant();
        if (hex.Length != length || !hex.All(char.IsAsciiHexDigit))
        {
            throw new FormatException($"'{hex}' is not a {algorithm} ({length} hex digits)");
        }

        return new Digest(algorithm, hex);
    }

    /// <summary>Parses <c>sha256:&lt;hex&gt;</c> / <c>sha512:&lt;hex&gt;</c>.</summary>
    public static Digest Parse(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            throw new FormatException($"'{text}' is not a digest such as sha256:<hex>");
        }

        return Create(text[..colon], text[(colon + 1)..]);
    }

    /// <summary>An incremental hasher for this digest's algorithm.</summary>
    public IncrementalHash CreateHasher() => NewHasher(Algorithm);

    public static IncrementalHash NewHasher(string algorithm) => algorithm switch
    {
        "sha256" => IncrementalHash.CreateHash(HashAlgorithmName.SHA256),
        "sha512" => IncrementalHash.CreateHash(HashAlgorithmName.SHA512),
        _ => throw new FormatException($"'{algorithm}' is not a supported digest algorithm"),
    };

    /// <summary>Hashes a file already on disk (used for cache checks and for files that were not downloaded by us).</summary>
    public static Digest OfFile(string path, string algorithm = "sha256")
    {
        using var hasher = NewHasher(algorithm);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hasher.AppendData(buffer, 0, read);
        }

        return Create(algorithm, Convert.ToHexStringLower(hasher.GetHashAndReset()));
    }

    /// <summary>The prefix of every image digest.</summary>
    public const string Sha256Prefix = "sha256:";

    /// <summary>The sha256 digest of <paramref name="bytes"/>.</summary>
    public static Digest Of(ReadOnlySpan<byte> bytes) => new("sha256", Sha256Hex.Of(bytes));

    /// <summary>The sha256 digest of the rest of <paramref name="stream"/>.</summary>
    public static Digest Of(Stream stream) => new("sha256", Sha256Hex.Of(stream));

    /// <summary>Whether <paramref name="text"/> is exactly <c>sha256:</c> and 64 lower-case hex digits (how images are named).</summary>
    public static bool IsSha256(string? text) =>
        text is not null && text.StartsWith(Sha256Prefix, StringComparison.Ordinal) && text.Length == Sha256Prefix.Length + 64
        && text.AsSpan(Sha256Prefix.Length).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>The hex part of <paramref name="digest"/>, after checking that it is a sha256 digest.</summary>
    public static string HexOf(string digest) =>
        IsSha256(digest) ? digest[Sha256Prefix.Length..] : throw new FormatException($"'{digest}' is not a sha256 digest (sha256:<64 lowercase hex>)");

    public override string ToString() => $"{Algorithm}:{Hex}";
}
