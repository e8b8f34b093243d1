using System.Buffers.Binary;
using System.Text;

namespace KubeAirgap.Nginx;

/// <summary>
/// The parts of an ELF file that decide where it runs: the machine, the shared libraries it names (DT_NEEDED in
/// the dynamic section) and the symbol versions it needs from each (.gnu.version_r, SHT_GNU_verneed).
/// Reads 32- and 64-bit files of either byte order from the section headers.
/// </summary>
public sealed record ElfFile(
    ElfMachine Machine,
    bool Is64Bit,
    bool HasDynamicSection,
    IReadOnlyList<string> Needed,
    IReadOnlyList<ElfVersionNeed> VersionNeeds)
{
    private const uint ShtDynamic = 6;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const long DtNull = 0;
    private const long DtNeeded = 1;

    /// <summary>Every version name needed (e.g. GLIBC_2.34), over all files.</summary>
    public IEnumerable<string> VersionNames => VersionNeeds.SelectMany(v => v.Versions);

    public static ElfFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeNginxException($"cannot read '{path}': {e.Message}", e);
        }

        try
        {
            return Parse(bytes);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            throw new KubeNginxException($"'{path}' is not a well-formed ELF file: {e.Message}", e);
        }
    }

    public static ElfFile Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 52 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
        {
            throw new ArgumentException("no ELF magic");
        }

        var is64 = data[4] switch
        {
            1 => false,
            2 => true,
            _ => throw new ArgumentException($"unknown ELF class {data[4]}"),
        };
        var reader = new Reader(data[5] switch
        {
            1 => true,
            2 => false,
            _ => throw new ArgumentException($"unknown ELF data encoding {data[5]}"),
        });
        var machine = (ElfMachine)reader.U16(data, 18);
        var shoff = is64 ? reader.U64(data, 0x28) : reader.U32(data, 0x20);
        var shentsize = reader.U16(data, is64 ? 0x3A : 0x2E);
        var shnum = reader.U16(data, is64 ? 0x3C : 0x30);
        var sections = new List<Section>(shnum);
        for (var i = 0; i < shnum; i++)
        {
            var at = checked((int)shoff + (i * shentsize));
            sections.Add(is64
                ? new Section(reader.U32(data, at + 4), reader.U64(data, at + 24), reader.U64(data, at + 32), reader.U32(data, at + 40), reader.U32(data, at + 44))
                : new Section(reader.U32(data, at + 4), reader.U32(data, at + 16), reader.U32(data, at + 20), reader.U32(data, at + 24), reader.U32(data, at + 28)));
        }

        var needed = new List<string>();
        var dynamic = sections.FirstOrDefault(s => s.Type == ShtDynamic);
        if (dynamic is not null)
        {
            var strings = sections[checked((int)dynamic.Link)];
            var entrySize = is64 ? 16 : 8;
            for (var at = dynamic.Offset; at + (ulong)entrySize <= dynamic.Offset + dynamic.Size; at += (ulong)entrySize)
            {
                var tag = is64 ? (long)reader.U64(data, (int)at) : (int)reader.U32(data, (int)at);
                if (tag == DtNull)
                {
                    break;
                }

                if (tag == DtNeeded)
                {
                    var value = is64 ? reader.U64(data, (int)at + 8) : reader.U32(data, (int)at + 4);
                    needed.Add(CString(data, strings.Offset + value));
                }
            }
        }

        var needs = new List<ElfVersionNeed>();
        var verneed = sections.FirstOrDefault(s => s.Type == ShtGnuVerneed);
        if (verneed is not null)
        {
            var strings = sections[checked((int)verneed.Link)];
            var entry = verneed.Offset;
            for (var n = 0u; n < verneed.Info; n++)
            {
                var count = reader.U16(data, (int)entry + 2);
                var file = CString(data, strings.Offset + reader.U32(data, (int)entry + 4));
                var aux = entry + reader.U32(data, (int)entry + 8);
                var versions = new List<string>();
                for (var k = 0; k < count; k++)
                {
                    versions.Add(CString(data, strings.Offset + reader.U32(data, (int)aux + 8)));
                    aux += reader.U32(data, (int)aux + 12);
                }

                needs.Add(new ElfVersionNeed(file, versions));
                var next = reader.U32(data, (int)entry + 12);
                if (next == 0)
                {
                    break;
                }

                entry += next;
            }
        }

        return new ElfFile(machine, is64, dynamic is not null, needed, needs);
    }

    private static string CString(ReadOnlySpan<byte> data, ulong offset)
    {
        var start = checked((int)offset);
        var end = data[start..].IndexOf((byte)0);
        if (end < 0)
        {
            throw new ArgumentException($"unterminated string at offset {offset}");
        }

        return Encoding.UTF8.GetString(data.Slice(start, end));
    }

    private sealed record Section(uint Type, ulong Offset, ulong Size, uint Link, uint Info);

    private readonly struct Reader(bool littleEndian)
    {
        public ushort U16(ReadOnlySpan<byte> d, int at) =>
            littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt16BigEndian(d[at..]);

        public uint U32(ReadOnlySpan<byte> d, int at) =>
            littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt32BigEndian(d[at..]);

        public ulong U64(ReadOnlySpan<byte> d, int at) =>
            littleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(d[at..]) : BinaryPrimitives.ReadUInt64BigEndian(d[at..]);
    }
}

/// <summary>One Elf_Verneed entry: a library file and the version names the binary needs from it.</summary>
public sealed record ElfVersionNeed(string File, IReadOnlyList<string> Versions);

/// <summary>e_machine values of the arches the pipeline knows.</summary>
public enum ElfMachine : ushort
{
    X86 = 3,
    Arm = 40,
    X86_64 = 62,
    AArch64 = 183,
}
