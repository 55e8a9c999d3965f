using System.Buffers.Binary;
using System.Text;

namespace HubHost.Native;

/// <summary>
/// Reads and edits the version requirements (<c>.gnu.version_r</c>, SHT_GNU_verneed) of a 64-bit
/// little-endian ELF shared library: which symbol versions of which libraries it needs, and whether the
/// dynamic loader must refuse to load it when one is missing (a weak requirement, VER_FLG_WEAK, is not fatal).
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>One needed version: the library that must define it and whether the need is weak.</summary>
    public readonly record struct Need(string Library, string Version, bool Weak, int FlagsOffset);

    /// <summary>Every version requirement of <paramref name="elf"/>.</summary>
    /// <exception cref="InvalidDataException">Not a 64-bit little-endian ELF file with version requirements.</exception>
    public static IReadOnlyList<Need> Read(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        var sectionTable = checked((int)U64(elf, 0x28));
        int entrySize = U16(elf, 0x3A), count = U16(elf, 0x3C);
        if (entrySize < 64 || sectionTable <= 0 || (long)sectionTable + (long)entrySize * count > elf.Length)
            throw new InvalidDataException("the section header table lies outside the file");
        var needs = new List<Need>();
        for (var i = 0; i < count; i++)
        {
            var header = elf.Slice(sectionTable + i * entrySize, entrySize);
            if (U32(header, 4) != ShtGnuVerneed) continue;
            var offset = checked((int)U64(header, 0x18));
            var size = checked((int)U64(header, 0x20));
            var strings = (int)U32(header, 0x28);
            var entries = (int)U32(header, 0x2C);
            if ((long)offset + size > elf.Length || strings >= count) throw new InvalidDataException("the version requirements lie outside the file");
            var stringHeader = elf.Slice(sectionTable + strings * entrySize, entrySize);
            var stringTable = elf.Slice(checked((int)U64(stringHeader, 0x18)), checked((int)U64(stringHeader, 0x20)));
            var need = offset;
            for (var n = 0; n < entries; n++)
            {
                if (need + 16 > offset + size) throw new InvalidDataException("a version requirement runs past its section");
                var auxCount = U16(elf, need + 2);
                var library = CString(stringTable, U32(elf, need + 4));
                var aux = need + (int)U32(elf, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    if (aux + 16 > offset + size) throw new InvalidDataException("a version requirement runs past its section");
                    needs.Add(new Need(library, CString(stringTable, U32(elf, aux + 8)), (U16(elf, aux + 4) & VerFlgWeak) != 0, aux + 4));
                    var nextAux = (int)U32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                var next = (int)U32(elf, need + 12);
                if (next == 0) break;
                need += next;
            }
        }
        return needs;
    }

    /// <summary>Marks the requirement of <paramref name="version"/> weak in place; false when the file has no such (strong) requirement.</summary>
    public static bool MakeWeak(Span<byte> elf, string version)
    {
        var changed = false;
        foreach (var need in Read(elf))
        {
            if (need.Version != version || need.Weak) continue;
            BinaryPrimitives.WriteUInt16LittleEndian(elf[need.FlagsOffset..], (ushort)(U16(elf, need.FlagsOffset) | VerFlgWeak));
            changed = true;
        }
        return changed;
    }

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b[at..]);
    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b[at..]);
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b[at..]);

    private static string CString(ReadOnlySpan<byte> table, uint at)
    {
        if (at >= table.Length) throw new InvalidDataException("a version name lies outside the string table");
        var rest = table[(int)at..];
        var end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }
}
