using System.IO.Compression;
using System.Runtime.InteropServices;
using HubHost.Checkpoints;
using HubHost.Downloads;

namespace HubHost.Checkpoints.Tests;

/// <summary>The CRC-32 of every zip member is checked (a changed byte is one clear error).</summary>
public class ZipCrcTests
{
    /// <summary>views.pt with one byte of the stored record views/data/0 (base = arange(24)) changed.</summary>
    private static string CorruptedViews(TempDir dir, string what)
    {
        var bytes = File.ReadAllBytes(Fixtures.Path("checkpoints/views.pt"));
        int at;
        if (what == "data")
        {
            var pattern = MemoryMarshal.AsBytes<float>([5f, 6f, 7f]).ToArray();
            at = bytes.AsSpan().IndexOf(pattern);
            Assert.True(at > 0);
            Assert.Equal(at, bytes.AsSpan().LastIndexOf(pattern)); // found once: the record
        }
        else
        {
            at = bytes.AsSpan().IndexOf("transposed"u8); // a key inside views/data.pkl
            Assert.True(at > 0);
        }
        bytes[at + 1] ^= 0x10;
        var path = dir.Path($"corrupt-{what}.pt");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(CheckpointReadMode.MemoryMap)]
    [InlineData(CheckpointReadMode.Copy)]
    public void A_damaged_stored_storage_record_fails_its_crc_with_a_clear_error(CheckpointReadMode mode)
    {
        using var dir = new TempDir();
        var path = CorruptedViews(dir, "data");
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path, mode));
        Assert.Contains("zip entry 'views/data/0' fails its CRC-32 check", e.Message);
        Assert.Contains("Download or save it again", e.Message);
        Assert.StartsWith(path, e.Message);
        using var stream = File.OpenRead(path);
        e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(stream, "stream.pt"));
        Assert.Contains("CRC-32", e.Message);
    }

    [Fact]
    public void A_damaged_data_pkl_fails_its_crc_before_it_is_unpickled()
    {
        using var dir = new TempDir();
        var path = CorruptedViews(dir, "pickle");
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(path));
        Assert.Contains("zip entry 'views/data.pkl' fails its CRC-32 check", e.Message);
    }

    [Fact]
    public void A_damaged_deflated_record_fails_its_crc()
    {
        using var dir = new TempDir();
        var deflated = dir.Path("deflated.pt");
        Fixtures.RewriteZip(Fixtures.Path("checkpoints/views.pt"), deflated, (n, d) => (n, d), CompressionLevel.Optimal);
        var bytes = File.ReadAllBytes(deflated);
        // Change the CRC recorded for views/data/0 in the central directory (offset 16 in its header).
        int cd = bytes.AsSpan().LastIndexOf("views/data/0"u8) - 46;
        bytes[cd + 16] ^= 0xFF;
        File.WriteAllBytes(deflated, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(deflated));
        Assert.Contains("zip entry 'views/data/0' fails its CRC-32 check", e.Message);
    }

    [Fact]
    public async Task A_legacy_single_file_zip_with_a_damaged_entry_is_not_extracted()
    {
        using var dir = new TempDir();
        var legacy = File.ReadAllBytes(Fixtures.Path("checkpoints/views_legacy.pt"));
        var path = dir.Path("weights.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        using (var s = zip.CreateEntry("weights.pt", CompressionLevel.NoCompression).Open())
            s.Write(legacy);
        // Intact: extracted and loadable.
        var extracted = await CheckpointFiles.ResolveLegacyZipAsync(path, CancellationToken.None);
        Assert.Equal(dir.Path("weights.pt"), extracted);
        Assert.Equal(legacy, File.ReadAllBytes(extracted));
        File.Delete(extracted);

        // One byte of the stored entry changed (the last storage's data sits near the end of the entry).
        var bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(legacy.AsSpan(legacy.Length - 16, 16));
        Assert.True(at > 0);
        bytes[at] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = await Assert.ThrowsAsync<HubException>(() => CheckpointFiles.ResolveLegacyZipAsync(path, CancellationToken.None));
        Assert.Contains("CRC-32", e.Message);
        Assert.Contains("weights.pt", e.Message);
        Assert.Contains("download it again", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(dir.Path("weights.pt")));
        Assert.Single(Directory.GetFiles(dir.FullName)); // no temporary file left behind
    }
}
