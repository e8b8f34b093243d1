using System.Buffers.Binary;
using KubeAirgap.Nginx;

namespace KubeAirgap.Bundle;

/// <summary>
/// The machine an ELF file runs on (e_machine in its header), against the node arch it is bundled for. Uses the
/// <see cref="ElfMachine"/> values and the arch table (<see cref="TargetArch"/>) the kube-nginx build checks with;
/// reads only the 20-byte header, so every binary of every payload is checked cheaply. Files that are not ELF
/// (scripts) have no machine and are not checked.
/// </summary>
public static class ElfArch
{
    /// <summary>How much of a file's start <see cref="MachineOf(ReadOnlySpan{byte})"/> reads.</summary>
    public const int HeaderBytes = 20;

    /// <summary>e_machine of <paramref name="file"/>, or null when it does not start with the ELF magic.</summary>
    public static ushort? MachineOf(string file)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        using var stream = File.OpenRead(file);
        var read = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
        return MachineOf(header[..read]);
    }

    /// <summary>e_machine from the first bytes of a file (at least <see cref="HeaderBytes"/>), or null when they are not an ELF header.</summary>
    public static ushort? MachineOf(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderBytes || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
        {
            return null;
        }

        // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the u16 at offset 18 in both classes.
        return header[5] == 2 ? BinaryPrimitives.ReadUInt16BigEndian(header[18..]) : BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
    }

    /// <summary>A problem naming the file and both arches when <paramref name="file"/> is an ELF file for another machine than <paramref name="arch"/>.</summary>
    public static string? Mismatch(string path, string file, string arch) => Mismatch(path, MachineOf(file), arch);

    /// <summary>A problem naming <paramref name="path"/> and both arches when <paramref name="machine"/> (null: not ELF) is not <paramref name="arch"/>'s.</summary>
    public static string? Mismatch(string path, ushort? machine, string arch)
    {
        if (machine is not { } found)
        {
            return null;
        }

        var want = TargetArch.Of(arch);
        if (found == (ushort)want.Machine)
        {
            return null;
        }

        var name = TargetArch.All.FirstOrDefault(a => (ushort)a.Machine == found)?.Name
            ?? (Enum.IsDefined((ElfMachine)found) ? ((ElfMachine)found).ToString() : $"e_machine {found}");
        return $"{path}: an ELF binary for {name}, but the node arch is {arch} (ELF machine {want.Machine})";
    }
}
