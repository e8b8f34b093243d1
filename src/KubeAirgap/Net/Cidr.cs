using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace KubeAirgap.Net;

/// <summary>An IPv4 or IPv6 network, e.g. 10.254.0.0/16, with containment, overlap and the n-th address.</summary>
public sealed record Cidr(IPAddress Network, int PrefixLength)
{
    private int Bits => Network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;

    public static bool TryParse(string? text, out Cidr? cidr)
    {
        cidr = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(text[..slash], out var address)
            || !int.TryParse(text[(slash + 1)..], out var prefix))
        {
            return false;
        }

        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (prefix < 0 || prefix > bits)
        {
            return false;
        }

        cidr = new Cidr(Mask(address, prefix), prefix);
        return true;
    }

    public static Cidr Parse(string text) =>
        TryParse(text, out var cidr) ? cidr! : throw new FormatException($"'{text}' is not a CIDR");

    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != Network.AddressFamily)
        {
            return false;
        }

        return Mask(address, PrefixLength).Equals(Network);
    }

    public bool Overlaps(Cidr other) =>
        other.Network.AddressFamily == Network.AddressFamily
        && (Contains(other.Network) || other.Contains(Network));

    /// <summary>The address <paramref name="index"/> places after the network address (1 = first usable).</summary>
    public IPAddress Nth(long index)
    {
        var value = ToBig(Network) + index;
        var size = BigInteger.One << (Bits - PrefixLength);
        if (index < 0 || index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), $"{this} has no address at offset {index}");
        }

        return FromBig(value, Network.AddressFamily);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }

    private static BigInteger ToBig(IPAddress address) =>
        new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress FromBig(BigInteger value, AddressFamily family)
    {
        var length = family == AddressFamily.InterNetwork ? 4 : 16;
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var bytes = new byte[length];
        Array.Copy(raw, 0, bytes, length - raw.Length, raw.Length);
        return new IPAddress(bytes);
    }
}
