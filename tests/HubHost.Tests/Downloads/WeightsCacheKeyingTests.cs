using HubHost.Downloads;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Downloads;

/// <summary>
/// The checkpoint cache keyed by URL (issue 20): torch.hub keys cached weights by the URL's last path segment, so two URLs ending
/// in one file name collide (pytorch/hub#47); here they are two files, each with its full SHA-256 recorded, re-checked cheaply,
/// re-hashed on verify, listed with its URL and removed by URL. Files cached by earlier versions keep working.
/// </summary>
public sealed class WeightsCacheKeyingTests : DownloadTestBase
{
    private readonly byte[] _digits = File.ReadAllBytes(FixturePath("digits_mlp-41499836.pt"));

    private string Checkpoints => Path.Combine(HubDirectory, "checkpoints");

    [Fact]
    public async Task Two_urls_with_one_file_name_get_two_files()
    {
        var a = RandomBytes(10_000, seed: 1);
        var b = RandomBytes(12_000, seed: 2);
        Server.Serve("/team-a/model.pth", a);
        Server.Serve("/team-b/model.pth", b);
        var client = NewClient();

        var pathA = await client.DownloadCheckpointAsync(Server.Url("/team-a/model.pth"));
        var pathB = await client.DownloadCheckpointAsync(Server.Url("/team-b/model.pth"));

        Assert.NotEqual(pathA, pathB);
        Assert.Equal("model.pth", Path.GetFileName(pathA));
        Assert.Equal("model.pth", Path.GetFileName(pathB));
        Assert.Equal(a, File.ReadAllBytes(pathA)); // torch.hub would hand the second URL the first one's file
        Assert.Equal(b, File.ReadAllBytes(pathB));
        Assert.Single(Server.RequestsFor("/team-b/model.pth"));
    }

    [Fact]
    public async Task An_explicit_file_name_keeps_torchs_meaning_one_file_whatever_the_url()
    {
        Server.Serve("/team-a/model.pth", RandomBytes(1000, seed: 1));
        Server.Serve("/team-b/model.pth", RandomBytes(1000, seed: 2));
        var client = NewClient();

        var first = await client.DownloadCheckpointAsync(Server.Url("/team-a/model.pth"), fileName: "shared.pth");
        var second = await client.DownloadCheckpointAsync(Server.Url("/team-b/model.pth"), fileName: "shared.pth");

        Assert.Equal(Path.Combine(Checkpoints, "shared.pth"), first);
        Assert.Equal(first, second);
        Assert.Empty(Server.RequestsFor("/team-b/model.pth"));
    }

    [Fact]
    public async Task A_file_cached_by_an_earlier_version_with_a_verified_hash_prefix_is_moved_under_its_url_without_a_request()
    {
        Directory.CreateDirectory(Checkpoints);
        var legacy = Path.Combine(Checkpoints, "digits_mlp-41499836.pt");
        File.WriteAllBytes(legacy, _digits);
        var url = Server.Url("/models/digits_mlp-41499836.pt");
        Server.Dispose(); // nobody answers

        var path = await NewClient().DownloadCheckpointAsync(url, checkHash: true);

        Assert.Equal(CachedPath(HubDirectory, url), path);
        Assert.Equal(_digits, File.ReadAllBytes(path));
        Assert.False(File.Exists(legacy));
        Assert.Contains(Sha256(_digits), File.ReadAllText(CheckpointCache.RecordPath(path)));
    }

    [Fact]
    public async Task A_file_cached_by_an_earlier_version_without_a_hash_stays_for_its_name_and_the_url_is_downloaded_again()
    {
        Directory.CreateDirectory(Checkpoints);
        var legacy = Path.Combine(Checkpoints, "model.pth");
        var old = RandomBytes(500, seed: 7);
        File.WriteAllBytes(legacy, old);
        var current = RandomBytes(600, seed: 8);
        Server.Serve("/other-team/model.pth", current);
        var client = NewClient();

        var path = await client.DownloadCheckpointAsync(Server.Url("/other-team/model.pth"));
        var named = await client.DownloadCheckpointAsync(Server.Url("/other-team/model.pth"), fileName: "model.pth");

        Assert.Equal(current, File.ReadAllBytes(path)); // not the same-named file of another URL
        Assert.Equal(legacy, named);                     // still there for calls that name it
        Assert.Equal(old, File.ReadAllBytes(legacy));
        Assert.Single(Server.RequestsFor("/other-team/model.pth"));
    }

    [Fact]
    public async Task A_cached_file_changed_on_disk_is_hashed_again_and_downloaded_again()
    {
        Server.Serve("/w/digits_mlp-41499836.pt", _digits);
        var url = Server.Url("/w/digits_mlp-41499836.pt");
        var client = NewClient();
        var path = await client.DownloadCheckpointAsync(url, checkHash: true);
        File.WriteAllBytes(path, RandomBytes(100)); // damaged: other size and time than recorded

        var again = await client.DownloadCheckpointAsync(url, checkHash: true);

        Assert.Equal(path, again);
        Assert.Equal(_digits, File.ReadAllBytes(again));
        Assert.Equal(2, Server.CompleteBodies("/w/digits_mlp-41499836.pt"));
    }

    [Fact]
    public async Task The_cheap_check_trusts_size_and_time_and_verify_rehashes_in_full()
    {
        Server.Serve("/w/digits_mlp-41499836.pt", _digits);
        var url = Server.Url("/w/digits_mlp-41499836.pt");
        var client = NewClient();
        var path = await client.DownloadCheckpointAsync(url, checkHash: true);
        // Same size and modification time, one byte flipped: only a full re-hash sees it.
        var time = File.GetLastWriteTimeUtc(path);
        var bytes = File.ReadAllBytes(path);
        bytes[^10] ^= 0xff;
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, time);

        var cheap = await client.Checkpoints.GetAsync(WeightsSource.Parse(url), null, null, checkHash: true, expected: null, verify: false, null, default);
        Assert.Equal(bytes, File.ReadAllBytes(cheap.Path));
        Assert.Equal(1, Server.CompleteBodies("/w/digits_mlp-41499836.pt"));

        var verified = await client.Checkpoints.GetAsync(WeightsSource.Parse(url), null, null, checkHash: true, expected: null, verify: true, null, default);
        Assert.Equal(_digits, File.ReadAllBytes(verified.Path));
        Assert.Equal(Sha256(_digits), verified.Sha256);
        Assert.Equal(2, Server.CompleteBodies("/w/digits_mlp-41499836.pt"));
    }

    [Fact]
    public async Task Cache_ls_shows_weights_with_url_and_hash_and_cache_rm_takes_a_url()
    {
        Server.Serve("/w/digits_mlp-41499836.pt", _digits);
        var url = Server.Url("/w/digits_mlp-41499836.pt?token=secret");
        var client = NewClient();
        var path = await client.DownloadCheckpointAsync(url);

        var listed = Assert.Single(client.ListCache().Weights);
        Assert.Equal(Server.Url("/w/digits_mlp-41499836.pt") + "?…", listed.Url); // the query may hold a secret: never shown or stored
        Assert.Equal(Sha256(_digits), listed.Sha256);
        Assert.Equal(path, listed.Path);
        Assert.DoesNotContain("secret", File.ReadAllText(CheckpointCache.RecordPath(path)));

        var removed = await client.RemoveFromCacheAsync(url);
        Assert.Equal(_digits.Length, removed.Bytes);
        Assert.False(File.Exists(path));
        Assert.Empty(client.ListCache().Weights);
        var e = await Assert.ThrowsAsync<HubException>(() => client.RemoveFromCacheAsync(url));
        Assert.StartsWith("No weights from", e.Message);
    }

    [Fact]
    public async Task Processes_sharing_the_cache_download_a_url_once()
    {
        var file = Server.Serve("/slow/digits_mlp-41499836.pt", _digits);
        file.WriteSize = 512;
        file.PauseBetweenWrites = TimeSpan.FromMilliseconds(50); // about a second: the processes overlap
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = HubHome };

        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => CliRunner.RunAsync(["state-dict", Server.Url("/slow/digits_mlp-41499836.pt")], env)));

        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Stderr));
        Assert.Equal(1, Server.CompleteBodies("/slow/digits_mlp-41499836.pt"));
        var key = KeyOf(Server.Url("/slow/digits_mlp-41499836.pt"));
        Assert.Equal([key, Path.Combine(key, ".digits_mlp-41499836.pt.hubhost.json"), Path.Combine(key, "digits_mlp-41499836.pt")], Listing(Checkpoints));
    }
}
