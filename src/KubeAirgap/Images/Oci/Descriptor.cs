namespace KubeAirgap.Images.Oci;

/// <summary>An OCI content descriptor: what a blob is, its digest and size, and (in an index) its platform.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size, Platform? Platform = null);

public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";

    public static Platform Linux(string arch) => new("linux", arch);
}
