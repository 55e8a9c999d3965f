using System.Net;
using HubHost.Downloads;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Downloads;

/// <summary>
/// A loopback server that answers like the Hugging Face hub's resolve endpoint: <c>/{repo}/resolve/{revision}/{path}</c> answers
/// an LFS file with a 302 to a CDN on another host (<c>localhost</c> instead of <c>127.0.0.1</c>), with <c>X-Repo-Commit</c>,
/// <c>X-Linked-Etag</c> (the file's SHA-256) and <c>X-Linked-Size</c>; a small git file directly, with a SHA-1 ETag.
/// </summary>
public sealed class FakeHuggingFaceHub : IDisposable
{
    public LoopbackHttpServer Hub { get; } = new();

    public LoopbackHttpServer Cdn { get; } = new();

    /// <summary>What HF_ENDPOINT is set to.</summary>
    public string Endpoint => Hub.Url("").TrimEnd('/');

    /// <summary>Publishes an LFS file at <paramref name="revision"/> (and at its commit); the CDN serves <paramref name="served"/> (the real bytes unless a test lies).</summary>
    public void PublishLfs(string repo, string revision, string commit, string path, byte[] bytes, byte[]? served = null)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var cdnPath = $"/repos/{sha[..2]}/{sha}";
        Cdn.Serve(cdnPath, served ?? bytes);
        foreach (var at in new[] { revision, commit })
        {
            var file = Hub.Serve($"/{repo}/resolve/{at}/{path}", []);
            file.RedirectTo = Cdn.OtherHostUrl(cdnPath);
            file.ExtraHeaders["X-Repo-Commit"] = commit;
            file.ExtraHeaders["X-Linked-Etag"] = $"\"{sha}\"";
            file.ExtraHeaders["X-Linked-Size"] = bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            file.ExtraHeaders["ETag"] = "W/\"0123456789abcdef0123456789abcdef01234567\"";
        }
    }

    /// <summary>Publishes a small file kept in git itself: served by the hub directly, its ETag a git SHA-1 (not a content SHA-256).</summary>
    public void PublishGitFile(string repo, string revision, string commit, string path, byte[] bytes)
    {
        foreach (var at in new[] { revision, commit })
        {
            var file = Hub.Serve($"/{repo}/resolve/{at}/{path}", bytes);
            file.ETag = "\"0123456789abcdef0123456789abcdef01234567\"";
            file.ExtraHeaders["X-Repo-Commit"] = commit;
        }
    }

    public void Dispose()
    {
        Hub.Dispose();
        Cdn.Dispose();
    }
}

/// <summary><c>hf://owner/repo[@revision]/path</c> weights URLs (issue 20.3) against <see cref="FakeHuggingFaceHub"/>.</summary>
public sealed class HuggingFaceTests : DownloadTestBase
{
    private const string Commit1 = "1111111111111111111111111111111111111111";
    private const string Commit2 = "2222222222222222222222222222222222222222";

    private readonly FakeHuggingFaceHub _hf = new();

    private readonly byte[] _digits = File.ReadAllBytes(FixturePath("digits_mlp-41499836.pt"));

    private HubClient Client(string? token = "hf_secret_token")
        => new(new HubOptions { HubDirectory = HubDirectory, HuggingFaceEndpoint = _hf.Endpoint, HuggingFaceToken = token }) { DownloadSettings = Fast };

    [Fact]
    public async Task An_hf_url_resolves_to_its_commit_downloads_from_the_cdn_and_records_commit_and_sha256()
    {
        _hf.PublishLfs("owner/digits", "main", Commit1, "weights/model.pt", _digits);
        var client = Client();

        var path = await client.DownloadCheckpointAsync("hf://owner/digits/weights/model.pt", checkHash: true);

        Assert.Equal(_digits, File.ReadAllBytes(path));
        Assert.Equal("model.pt", Path.GetFileName(path));
        var listed = Assert.Single(client.ListCache().Weights);
        Assert.Equal("hf://owner/digits@main/weights/model.pt", listed.Url);
        Assert.Equal(Commit1, listed.Commit);
        Assert.Equal(Sha256(_digits), listed.Sha256);
        // Asked at the revision, fetched at the commit it pointed to.
        Assert.Equal(["HEAD /owner/digits/resolve/main/weights/model.pt", $"GET /owner/digits/resolve/{Commit1}/weights/model.pt"],
            _hf.Hub.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Single(_hf.Cdn.Requests);

        // Cached: no request at all, even with the hub gone.
        _hf.Dispose();
        Assert.Equal(path, await Client().DownloadCheckpointAsync("hf://owner/digits/weights/model.pt", checkHash: true));
    }

    [Fact]
    public async Task The_token_goes_to_the_hub_host_only_never_to_the_cdn_or_another_host()
    {
        _hf.PublishLfs("owner/digits", "main", Commit1, "model.pt", _digits);
        Server.Serve("/plain/model.pt", _digits);
        var client = Client();

        await client.DownloadCheckpointAsync("hf://owner/digits/model.pt");
        await client.DownloadCheckpointAsync(Server.Url("/plain/model.pt"));

        Assert.All(_hf.Hub.Requests, r => Assert.Equal("Bearer hf_secret_token", r.Authorization));
        Assert.All(_hf.Cdn.Requests, r => Assert.Null(r.Authorization)); // the redirect target is another host
        Assert.All(Server.Requests, r => Assert.Null(r.Authorization));
        Assert.NotEmpty(_hf.Cdn.Requests);
    }

    [Fact]
    public async Task A_revision_a_dataset_and_a_commit_are_resolved_as_written()
    {
        _hf.PublishLfs("datasets/owner/set", "v1.0", Commit2, "data/x.bin", _digits);
        var client = Client(token: null);

        var path = await client.DownloadCheckpointAsync("hf://datasets/owner/set@v1.0/data/x.bin");

        Assert.Equal(_digits, File.ReadAllBytes(path));
        Assert.All(_hf.Hub.Requests, r => Assert.Null(r.Authorization));
        Assert.Equal(Commit2, Assert.Single(client.ListCache().Weights).Commit);
    }

    [Fact]
    public async Task Bytes_that_do_not_have_the_hubs_sha256_are_refused_and_nothing_is_cached()
    {
        _hf.PublishLfs("owner/digits", "main", Commit1, "model.pt", _digits, served: RandomBytes(_digits.Length));

        var e = await Assert.ThrowsAsync<HubException>(() => Client().DownloadCheckpointAsync("hf://owner/digits/model.pt"));

        Assert.Contains(Sha256(_digits), e.Message);
        Assert.Empty(Client().ListCache().Weights);
        Assert.False(Directory.Exists(Path.Combine(HubDirectory, "checkpoints")) && Directory.EnumerateFileSystemEntries(Path.Combine(HubDirectory, "checkpoints")).Any());
    }

    [Fact]
    public async Task A_git_file_has_no_sha256_from_the_hub_so_a_hash_check_is_refused_and_without_it_the_file_loads()
    {
        _hf.PublishGitFile("owner/cfg", "main", Commit1, "config.json", "{}"u8.ToArray());

        var e = await Assert.ThrowsAsync<HubException>(() => Client().DownloadCheckpointAsync("hf://owner/cfg/config.json", checkHash: true));
        Assert.Contains("not an LFS file", e.Message);

        var path = await Client().DownloadCheckpointAsync("hf://owner/cfg/config.json");
        Assert.Equal("{}", File.ReadAllText(path));
        Assert.Equal(Commit1, Assert.Single(Client().ListCache().Weights).Commit);
    }

    [Fact]
    public async Task The_hubs_refusals_are_one_message_naming_what_is_missing()
    {
        var missing = _hf.Hub.Serve("/owner/digits/resolve/main/nope.pt", []);
        missing.AlwaysStatus = HttpStatusCode.NotFound;
        missing.ExtraHeaders["X-Error-Code"] = "EntryNotFound";
        var gated = _hf.Hub.Serve("/owner/gated/resolve/main/model.pt", []);
        gated.AlwaysStatus = HttpStatusCode.Unauthorized;

        var e1 = await Assert.ThrowsAsync<HubException>(() => Client().DownloadCheckpointAsync("hf://owner/digits/nope.pt"));
        var e2 = await Assert.ThrowsAsync<HubException>(() => Client(token: null).DownloadCheckpointAsync("hf://owner/gated/model.pt"));

        Assert.Contains("has no file 'nope.pt' at 'main'", e1.Message);
        Assert.Contains("set HF_TOKEN", e2.Message);
        Assert.DoesNotContain('\n', e1.Message + e2.Message);
    }

    [Theory]
    [InlineData("hf://owner/repo/model.pt", "", "owner/repo", "main", "model.pt")]
    [InlineData("hf://owner/repo@v1.0/dir/model.safetensors", "", "owner/repo", "v1.0", "dir/model.safetensors")]
    [InlineData("hf://owner/repo@refs%2Fpr%2F1/model.pt", "", "owner/repo", "refs/pr/1", "model.pt")]
    [InlineData("hf://datasets/owner/set@ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD/x.bin", "datasets/", "owner/set", "abcdefabcdefabcdefabcdefabcdefabcdefabcd", "x.bin")]
    [InlineData("hf://models/owner/repo/model.pt", "", "owner/repo", "main", "model.pt")]
    public void Hf_urls_parse_into_repo_revision_and_path(string url, string kind, string repo, string revision, string path)
    {
        var parsed = HuggingFaceUrls.Parse(url);
        Assert.Equal((kind, repo, revision, path), (parsed.RepoKind, parsed.RepoId, parsed.Revision, parsed.FilePath));
    }

    [Theory]
    [InlineData("hf://owner")]
    [InlineData("hf://owner/repo")]
    [InlineData("hf://owner/repo/")]
    [InlineData("hf://owner/repo/../x.pt")]
    [InlineData("hf://owner/repo/x.pt?download=1")]
    [InlineData("hf://own er/repo/x.pt")]
    [InlineData("hf://owner/repo@/x.pt")]
    public void Malformed_hf_urls_are_one_message_with_the_forms(string url)
    {
        var e = Assert.Throws<HubException>(() => HuggingFaceUrls.Parse(url));
        Assert.Contains("hf://owner/repo@revision/path/to/file", e.Message);
    }

    [Fact]
    public void The_endpoint_must_be_an_http_url_without_credentials()
    {
        Assert.Equal("http://127.0.0.1:9", new HubClient(new HubOptions { HuggingFaceEndpoint = "http://127.0.0.1:9/" }).Options.HuggingFaceEndpoint.TrimEnd('/'));
        var e = Assert.Throws<HubException>(() => new HubClient(new HubOptions { HuggingFaceEndpoint = "https://user:hunter2@hf.example" }));
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.Throws<HubException>(() => HubOptions.FromEnvironment(n => n == "HF_ENDPOINT" ? "ftp://hf.example" : null));
        Assert.Equal("tok", HubOptions.FromEnvironment(n => n == "HF_TOKEN" ? "tok" : null).HuggingFaceToken);
    }

    [Fact]
    public async Task The_cli_takes_hf_urls_for_state_dict_and_download_with_the_token_from_hf_token()
    {
        _hf.PublishLfs("owner/digits", "main", Commit1, "digits.pt", _digits);
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = HubHome, ["HF_ENDPOINT"] = _hf.Endpoint, ["HF_TOKEN"] = "hf_from_env" };

        var listed = await CliRunner.RunAsync(["state-dict", "hf://owner/digits/digits.pt"], env);
        var target = Path.Combine(Root, "copy.pt");
        var downloaded = await CliRunner.RunAsync(["download", "hf://owner/digits@main/digits.pt", target], env);

        Assert.True(listed.ExitCode == 0, listed.Stderr);
        Assert.Contains("4 tensors", listed.Stdout);
        Assert.True(downloaded.ExitCode == 0, downloaded.Stderr);
        Assert.Equal(_digits, File.ReadAllBytes(target));
        Assert.Contains(Sha256(_digits), downloaded.Stdout);
        Assert.All(_hf.Hub.Requests, r => Assert.Equal("Bearer hf_from_env", r.Authorization));
        Assert.All(_hf.Cdn.Requests, r => Assert.Null(r.Authorization));
        Assert.DoesNotContain("hf_from_env", listed.Stdout + listed.Stderr + downloaded.Stdout + downloaded.Stderr);
    }

    public override void Dispose()
    {
        _hf.Dispose();
        base.Dispose();
    }
}
