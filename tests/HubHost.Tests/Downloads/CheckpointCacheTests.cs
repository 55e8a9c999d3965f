using System.IO.Compression;
using HubHost.Downloads;

namespace HubHost.Tests.Downloads;

/// <summary>The checkpoint cache behind load_state_dict_from_url, with files written by real PyTorch.</summary>
public sealed class CheckpointCacheTests : DownloadTestBase
{
    // torch.save of a state dict, named with torch.hub's hash convention (41499836 = start of its SHA-256).
    private readonly byte[] _checkpoint = File.ReadAllBytes(FixturePath("digits_mlp-41499836.pt"));

    private string Checkpoints => Path.Combine(HubDirectory, "checkpoints");

    [Fact]
    public async Task Download_GoesToAFolderKeyedByTheUrl_NamedAfterItsLastSegment_WithItsRecord()
    {
        Server.Serve("/models/digits_mlp-41499836.pt", _checkpoint);
        var url = Server.Url("/models/digits_mlp-41499836.pt?download=1");

        var path = await NewClient().DownloadCheckpointAsync(url, checkHash: true);

        var key = KeyOf(url);
        Assert.Equal(Path.Combine(Checkpoints, key, "digits_mlp-41499836.pt"), path);
        Assert.Equal(_checkpoint, File.ReadAllBytes(path));
        // a torch.save zip is not extracted; the record beside it holds the full SHA-256
        Assert.Equal([key, Path.Combine(key, ".digits_mlp-41499836.pt.hubhost.json"), Path.Combine(key, "digits_mlp-41499836.pt")], Listing(Checkpoints));
        Assert.Contains(Sha256(_checkpoint), File.ReadAllText(Path.Combine(Checkpoints, key, ".digits_mlp-41499836.pt.hubhost.json")));
    }

    [Fact]
    public async Task CachedFile_IsUsedWithoutAnyRequest_EvenWithTheServerStopped()
    {
        Server.Serve("/digits_mlp-41499836.pt", _checkpoint);
        var url = Server.Url("/digits_mlp-41499836.pt");
        var first = await NewClient().DownloadCheckpointAsync(url, checkHash: true);
        Server.Dispose(); // nobody answers any more

        var second = await NewClient().DownloadCheckpointAsync(url, checkHash: true);

        Assert.Equal(first, second);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task ModelDirectoryAndFileName_AreHonoured()
    {
        Server.Serve("/download", _checkpoint);
        var models = Path.Combine(Root, "models");

        var path = await NewClient().DownloadCheckpointAsync(Server.Url("/download"), modelDirectory: models, fileName: "digits_mlp-41499836.pt", checkHash: true);

        Assert.Equal(Path.Combine(models, "digits_mlp-41499836.pt"), path);
        Assert.Equal(_checkpoint, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task CheckHash_WrongPrefixInName_IsRefused_AndNothingCached()
    {
        Server.Serve("/digits_mlp-deadbeef.pt", _checkpoint);

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadCheckpointAsync(Server.Url("/digits_mlp-deadbeef.pt"), checkHash: true));

        Assert.Contains("deadbeef", e.Message);
        Assert.Contains(Sha256(_checkpoint), e.Message);
        Assert.Empty(Listing(Checkpoints));
    }

    [Fact]
    public async Task CheckHash_WithoutHashInName_IsRefused()
    {
        Server.Serve("/digits_mlp.pt", _checkpoint);
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadCheckpointAsync(Server.Url("/digits_mlp.pt"), checkHash: true));
        Assert.Contains("no hash part", e.Message);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public async Task NoCheckHash_AcceptsAnyContent()
    {
        Server.Serve("/digits_mlp-deadbeef.pt", _checkpoint);
        var path = await NewClient().DownloadCheckpointAsync(Server.Url("/digits_mlp-deadbeef.pt"));
        Assert.Equal(_checkpoint, File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData("resnet18-f37072fd.pth", "f37072fd")]
    [InlineData("efficientnet_b0_rwightman-3dd342df.pth", "3dd342df")]
    [InlineData("vit-b-16-abc123.pth", "abc123")] // searched, not matched: the first "-hex." wins
    [InlineData("deeplabv3_resnet50_coco-cd0a2569.pth", "cd0a2569")]
    [InlineData("model.pth", null)]
    [InlineData("model-.pth", null)] // an empty prefix would accept anything: treated as none
    [InlineData("model-ABC.pth", null)] // torch's pattern is lower-case hex only
    public void HashPrefixOf_FollowsTorchHubsRegex(string name, string? expected)
        => Assert.Equal(expected, CheckpointFiles.HashPrefixOf(name));

    [Theory]
    [InlineData("https://h/x/resnet18-f37072fd.pth?raw=true", "resnet18-f37072fd.pth")]
    [InlineData("https://h/x/with%20space.pth", "with space.pth")]
    public void FileNameOf_IsTheLastPathSegment(string url, string expected)
        => Assert.Equal(expected, CheckpointFiles.FileNameOf(new Uri(url)));

    [Theory]
    [InlineData("https://h/")]
    [InlineData("https://h/dir/")]
    [InlineData("https://h/x/..%2Fevil.pth")]
    public void FileNameOf_RefusesUrlsWithoutAFileName(string url)
        => Assert.Throws<HubException>(() => CheckpointFiles.FileNameOf(new Uri(url)));

    [Theory]
    [InlineData("../evil.pth")]
    [InlineData("sub/evil.pth")]
    [InlineData("..")]
    [InlineData("")]
    public async Task FileName_WithDirectories_IsRefused(string fileName)
    {
        Server.Serve("/w.pt", _checkpoint);
        await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadCheckpointAsync(Server.Url("/w.pt"), fileName: fileName));
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public async Task LegacyZip_WithOneFile_IsExtractedBesideIt_AndThatFileReturned()
    {
        // Made by Python's zipfile; torch.hub._is_legacy_zip_format says True for it (see make_fixtures.py).
        Server.Serve("/digits_mlp_legacy.zip", File.ReadAllBytes(FixturePath("digits_mlp_legacy.zip")));

        var path = await NewClient().DownloadCheckpointAsync(Server.Url("/digits_mlp_legacy.zip"));

        var key = KeyOf(Server.Url("/digits_mlp_legacy.zip"));
        Assert.Equal(Path.Combine(Checkpoints, key, "digits_mlp.pt"), path);
        Assert.Equal(_checkpoint, File.ReadAllBytes(path));
        Assert.Equal([key, Path.Combine(key, ".digits_mlp_legacy.zip.hubhost.json"), Path.Combine(key, "digits_mlp.pt"), Path.Combine(key, "digits_mlp_legacy.zip")], Listing(Checkpoints));

        // Cached: no request, same answer.
        Server.Dispose();
        Assert.Equal(path, await NewClient().DownloadCheckpointAsync(Server.Url("/digits_mlp_legacy.zip")));
    }

    [Fact]
    public async Task ZipWithSeveralFiles_IsNotExtracted()
    {
        var zip = MakeZip(("a.pt", [1, 2, 3]), ("b.pt", [4, 5]));
        Server.Serve("/two.zip", zip);

        var path = await NewClient().DownloadCheckpointAsync(Server.Url("/two.zip"));

        var key = KeyOf(Server.Url("/two.zip"));
        Assert.Equal(Path.Combine(Checkpoints, key, "two.zip"), path);
        Assert.Equal([key, Path.Combine(key, ".two.zip.hubhost.json"), Path.Combine(key, "two.zip")], Listing(Checkpoints));
    }

    [Theory]
    [InlineData("../evil.pt")]
    [InlineData("sub/../../evil.pt")]
    [InlineData("/tmp/hubhost-zip-slip-evil.pt")]
    [InlineData("..\\evil.pt")]
    [InlineData("C:/evil.pt")]
    [InlineData("C:evil.pt")]
    public async Task ZipSlip_IsRefused_AndNothingWrittenOutside(string entryName)
    {
        var zip = MakeZip((entryName, [1, 2, 3]));
        Server.Serve("/evil.zip", zip);
        var models = Path.Combine(Root, "a", "models");
        File.Delete("/tmp/hubhost-zip-slip-evil.pt");

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadCheckpointAsync(Server.Url("/evil.zip"), modelDirectory: models));

        Assert.Contains("outside", e.Message);
        Assert.Contains(entryName, e.Message);
        var key = KeyOf(Server.Url("/evil.zip"));
        Assert.Equal(["a", Path.Combine("a", "models"), Path.Combine("a", "models", key), Path.Combine("a", "models", key, ".evil.zip.hubhost.json"), Path.Combine("a", "models", key, "evil.zip")],
            Listing(Root).Where(p => !p.StartsWith("hub", StringComparison.Ordinal)));
        Assert.False(File.Exists("/tmp/hubhost-zip-slip-evil.pt"));
    }

    [Fact]
    public async Task ZipWithSubdirectoryEntry_IsExtractedInsideTheDirectory()
    {
        Server.Serve("/nested.zip", MakeZip(("weights/model.pt", [7, 8, 9])));

        var path = await NewClient().DownloadCheckpointAsync(Server.Url("/nested.zip"));

        Assert.Equal(Path.Combine(Checkpoints, KeyOf(Server.Url("/nested.zip")), "weights", "model.pt"), path);
        Assert.Equal([7, 8, 9], File.ReadAllBytes(path));
    }

    [Fact]
    public async Task ConcurrentCheckpointDownloads_InOneProcess_DownloadOnce()
    {
        var content = RandomBytes(600_000);
        var file = Server.Serve("/big-" + Sha256(content)[..8] + ".bin", content);
        file.WriteSize = 32 * 1024;
        file.PauseBetweenWrites = TimeSpan.FromMilliseconds(10); // slow enough to overlap
        var url = Server.Url("/big-" + Sha256(content)[..8] + ".bin");

        var paths = await Task.WhenAll(
            NewClient().DownloadCheckpointAsync(url, checkHash: true),
            NewClient().DownloadCheckpointAsync(url, checkHash: true),
            NewClient().DownloadCheckpointAsync(url, checkHash: true));

        Assert.Single(paths.Distinct());
        Assert.Equal(content, File.ReadAllBytes(paths[0]));
        Assert.Single(Server.Requests);
        Assert.Equal(1, Server.CompleteBodies(new Uri(url).AbsolutePath));
        var key = KeyOf(url);
        Assert.Equal([key, Path.Combine(key, "." + Path.GetFileName(paths[0]) + ".hubhost.json"), Path.Combine(key, Path.GetFileName(paths[0]))], Listing(Checkpoints)); // no temp or lock file left
    }

    [Fact]
    public async Task ResolveLocalOrDownload_LocalFile_IsReturnedAsIs()
    {
        var local = Path.Combine(Root, "w.pt");
        await File.WriteAllBytesAsync(local, _checkpoint);
        Assert.Equal(local, await NewClient().ResolveLocalOrDownloadAsync(local, null, default));
    }

    [Fact]
    public async Task ResolveLocalOrDownload_MissingFile_SaysSo()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().ResolveLocalOrDownloadAsync(Path.Combine(Root, "nope.pt"), null, default));
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("nope.pt", e.Message);
    }

    [Fact]
    public async Task ResolveLocalOrDownload_Url_ChecksTheHashInTheName()
    {
        Server.Serve("/digits_mlp-41499836.pt", _checkpoint);
        Server.Serve("/digits_mlp-00000000.pt", _checkpoint);
        var client = NewClient();

        var path = await client.ResolveLocalOrDownloadAsync(Server.Url("/digits_mlp-41499836.pt"), null, default);
        var e = await Assert.ThrowsAsync<HubException>(() => client.ResolveLocalOrDownloadAsync(Server.Url("/digits_mlp-00000000.pt"), null, default));

        Assert.Equal(CachedPath(HubDirectory, Server.Url("/digits_mlp-41499836.pt")), path);
        Assert.Contains("00000000", e.Message);
    }

    [Fact]
    public async Task ResolveLocalOrDownload_OtherScheme_IsRefused()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().ResolveLocalOrDownloadAsync("s3://bucket/w.pt", null, default));
        Assert.Contains("s3://", e.Message);
    }

    private static byte[] MakeZip(params (string Name, byte[] Data)[] entries)
    {
        using var memory = new MemoryStream();
        using (var archive = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                using var stream = archive.CreateEntry(name).Open();
                stream.Write(data);
            }
        }
        return memory.ToArray();
    }
}
