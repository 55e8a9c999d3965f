using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using HubHost.Checkpoints;

namespace HubHost.Checkpoints.Tests;

/// <summary>
/// PyTorch writes zip64 records once a checkpoint passes 4 GB. Rather than commit such a file, these
/// tests write a small archive whose every size and offset goes through the zip64 extra fields, the
/// zip64 end-of-central-directory record and its locator.
/// </summary>
public class Zip64Tests
{
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    internal static void WriteZip64(string path, IEnumerable<(string Name, byte[] Data)> entries)
    {
        var output = new MemoryStream();
        var w = new BinaryWriter(output);
        var central = new MemoryStream();
        var c = new BinaryWriter(central);
        int count = 0;
        foreach (var (name, data) in entries)
        {
            long offset = output.Position;
            var nameBytes = Encoding.UTF8.GetBytes(name);
            uint crc = Crc32(data);
            // Local header with zip64 extra (uncompressed, compressed).
            w.Write(0x04034b50u); w.Write((ushort)45); w.Write((ushort)0); w.Write((ushort)0); w.Write(0u); w.Write(crc);
            w.Write(0xFFFFFFFFu); w.Write(0xFFFFFFFFu); w.Write((ushort)nameBytes.Length); w.Write((ushort)20);
            w.Write(nameBytes); w.Write((ushort)1); w.Write((ushort)16); w.Write((ulong)data.Length); w.Write((ulong)data.Length);
            w.Write(data);
            // Central header with zip64 extra (uncompressed, compressed, local header offset).
            c.Write(0x02014b50u); c.Write((ushort)45); c.Write((ushort)45); c.Write((ushort)0); c.Write((ushort)0); c.Write(0u); c.Write(crc);
            c.Write(0xFFFFFFFFu); c.Write(0xFFFFFFFFu); c.Write((ushort)nameBytes.Length); c.Write((ushort)28); c.Write((ushort)0);
            c.Write((ushort)0); c.Write((ushort)0); c.Write(0u); c.Write(0xFFFFFFFFu);
            c.Write(nameBytes); c.Write((ushort)1); c.Write((ushort)24); c.Write((ulong)data.Length); c.Write((ulong)data.Length); c.Write((ulong)offset);
            count++;
        }
        long cdOffset = output.Position;
        w.Write(central.ToArray());
        long z64Offset = output.Position;
        w.Write(0x06064b50u); w.Write(44ul); w.Write((ushort)45); w.Write((ushort)45); w.Write(0u); w.Write(0u);
        w.Write((ulong)count); w.Write((ulong)count); w.Write((ulong)central.Length); w.Write((ulong)cdOffset);
        w.Write(0x07064b50u); w.Write(0u); w.Write((ulong)z64Offset); w.Write(1u);
        w.Write(0x06054b50u); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0xFFFF); w.Write((ushort)0xFFFF);
        w.Write(0xFFFFFFFFu); w.Write(0xFFFFFFFFu); w.Write((ushort)0);
        w.Flush();
        File.WriteAllBytes(path, output.ToArray());
    }

    private static List<(string, byte[])> EntriesOf(string zip)
    {
        using var archive = ZipFile.OpenRead(zip);
        return archive.Entries.Select(e =>
        {
            using var s = e.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            return (e.FullName, ms.ToArray());
        }).ToList();
    }

    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void A_zip64_torch_checkpoint_reads_bit_for_bit(CheckpointReadMode mode)
    {
        using var dir = new TempDir();
        var path = dir.Path("zip64.pt");
        WriteZip64(path, EntriesOf(Fixtures.Path("checkpoints/views.pt")));
        // The archive is valid zip64 for .NET's own reader too.
        using (var check = ZipFile.OpenRead(path)) Assert.Equal(4, check.Entries.Count);
        var expected = Fixtures.Json("checkpoints/expected.json").GetProperty("files").GetProperty("views.pt");
        var sd = Checkpoint.Load(path, mode);
        foreach (var p in expected.EnumerateObject())
            Assert.Equal(p.Value.GetProperty("sha256").GetString(), TensorDigest.Sha256(sd[p.Name]));
    }

    [Fact]
    public void A_zip64_locator_pointing_nowhere_is_reported()
    {
        using var dir = new TempDir();
        var path = dir.Path("zip64.pt");
        WriteZip64(path, EntriesOf(Fixtures.Path("checkpoints/views.pt")));
        var bytes = File.ReadAllBytes(path);
        // The locator's offset field sits 22 (EOCD) + 20 (locator) - 8 bytes from the end.
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(bytes.Length - 22 - 12), 1UL << 40);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("zip64", e.Message);
    }
}

public class DeflatedEntryTests
{
    [Fact]
    public void A_deflated_record_that_claims_more_than_it_holds_is_reported()
    {
        using var dir = new TempDir();
        var deflated = dir.Path("deflated.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), deflated, (n, d) => (n, d), CompressionLevel.Optimal);
        var bytes = File.ReadAllBytes(deflated);
        // Raise the uncompressed size of views/data/0 in its central directory entry (offset 24 in the header).
        int cd = bytes.AsSpan().LastIndexOf("views/data/0"u8) - 46;
        Assert.Equal(0x02014b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(cd)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(cd + 24), 5000);
        File.WriteAllBytes(deflated, bytes);
        // 96 bytes are needed and present; the lie is only in the claim, so reading still works ...
        Assert.Equal(6, Checkpoint.Load(deflated).Count);
        // ... but a record that really is shorter than its claim and than the tensors is refused.
        deflated = dir.Path("short.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), deflated, (n, d) => (n, n.EndsWith("/data/0", StringComparison.Ordinal) ? d[..50] : d), CompressionLevel.Optimal);
        bytes = File.ReadAllBytes(deflated);
        cd = bytes.AsSpan().LastIndexOf("views/data/0"u8) - 46;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(cd + 24), 96);
        File.WriteAllBytes(deflated, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(deflated));
        Assert.Contains("does not inflate to its declared 96 bytes", e.Message);
    }
}
