using System.Security.Cryptography;
using HubHost.Checkpoints;
using HubHost.Running;
using HubHost.Tests.Downloads;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.TorchScript;

/// <summary>
/// Issue 16.1, the host API: <see cref="HubClient.LoadScriptAsync{T, TResult}"/> loads a TorchScript archive from a local
/// file, or from a URL served on 127.0.0.1 only when its file name carries the SHA-256 prefix (checked; cached under
/// the hub's checkpoints, then used without any request); a repo's LoadScript/LoadScriptFromUrl errors name the path
/// the repo wrote.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class ScriptHostApiTests(SharedHub hub)
{
    private static string Archive(string name) => Path.Combine(ScriptModelTests.Repo, name);

    private static string HashedName(string stem, byte[] bytes)
        => $"{stem}-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..10]}.pt";

    private static void AssertReproducesTokens(nn.IModule<Tensor, Tensor> model)
    {
        using var ids = Npy.Load(ScriptModelTests.Reference("tokens_ids.npy"));
        using var expected = Npy.Load(ScriptModelTests.Reference("tokens_out.npy"));
        using var _ = no_grad();
        using var output = model.call(ids);
        TorchAssert.Close(expected, output);
    }

    [Fact]
    public async Task A_hash_named_url_loads_is_cached_and_then_loads_with_the_server_gone()
    {
        using var home = new TempDirectory();
        var client = new HubClient(new HubOptions { HubDirectory = home.Combine("hub") });
        var bytes = File.ReadAllBytes(Archive("tokens.pt"));
        var name = HashedName("tokens", bytes);
        string url;
        using (var server = new LoopbackHttpServer())
        {
            server.Serve("/models/" + name, bytes);
            url = server.Url("/models/" + name);
            using (var model = await client.LoadScriptAsync<Tensor, Tensor>(url))
                AssertReproducesTokens(model);
            Assert.Equal(bytes, File.ReadAllBytes(DownloadTestBase.CachedPath(home.Combine("hub"), url)));
            using (var again = await client.LoadScriptAsync<Tensor, Tensor>(url))
                AssertReproducesTokens(again);
            Assert.Equal(1, server.CompleteBodies("/models/" + name));
        }
        // Offline: the cached file, no request (nobody listens on that port any more).
        using var offline = await client.LoadScriptAsync<Tensor, Tensor>(url);
        AssertReproducesTokens(offline);
    }

    [Fact]
    public async Task A_url_without_a_hash_part_or_with_a_short_or_wrong_one_is_refused_and_nothing_is_cached()
    {
        using var home = new TempDirectory();
        var client = new HubClient(new HubOptions { HubDirectory = home.Combine("hub") });
        var bytes = File.ReadAllBytes(Archive("tokens.pt"));
        using var server = new LoopbackHttpServer();
        foreach (var path in new[] { "/m/tokens.pt", "/m/tokens-ab12.pt", "/m/tokens-0000000000.pt" })
            server.Serve(path, bytes);

        var plain = await Assert.ThrowsAsync<HubException>(() => client.LoadScriptAsync<Tensor, Tensor>(server.Url("/m/tokens.pt")));
        Assert.StartsWith($"Not loading the TorchScript archive {server.Url("/m/tokens.pt")}: an archive is code that libtorch interprets", plain.Message);
        var short_ = await Assert.ThrowsAsync<HubException>(() => client.LoadScriptAsync<Tensor>(server.Url("/m/tokens-ab12.pt")));
        Assert.Contains("at least 8 hex digits", short_.Message);
        Assert.Empty(server.Requests); // refused before any request

        var wrong = await Assert.ThrowsAsync<HubException>(() => client.LoadScriptAsync<Tensor, Tensor>(server.Url("/m/tokens-0000000000.pt")));
        Assert.Contains("0000000000", wrong.Message);
        Assert.False(Directory.Exists(home.Combine("hub", "checkpoints")) && Directory.EnumerateFiles(home.Combine("hub", "checkpoints"), "*", SearchOption.AllDirectories).Any(f => f.EndsWith(".pt", StringComparison.Ordinal)),
            "nothing is cached for a refused or failed archive");
    }

    [Fact]
    public async Task A_local_file_is_the_callers_choice_and_a_missing_one_is_named_as_given()
    {
        using var model = await hub.Client.LoadScriptAsync<Tensor>(Archive("pair.pt"));
        using var runnable = ModelRunner.AsModel(model, "a local file", "pair");
        using var x = Npy.Load(ScriptModelTests.Reference("pair_x.npy"));
        using var y = Npy.Load(ScriptModelTests.Reference("pair_y.npy"));
        using (var output = ModelRunner.Forward(runnable, [x, y]))
        using (var expected = Npy.Load(ScriptModelTests.Reference("pair_out.npy")))
            TorchAssert.Close(expected, output.Tensor);

        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadScriptAsync<Tensor, Tensor>("no-such-dir/model.pt"));
        Assert.Contains("'no-such-dir/model.pt'", e.Message);
        var ftp = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadScriptAsync<Tensor, Tensor>("ftp://host/model-0123456789.pt"));
        Assert.StartsWith("'ftp://' URLs are not supported", ftp.Message);
    }

    [Fact]
    public async Task A_repo_loads_an_archive_from_a_hash_named_url_and_its_errors_name_the_path_it_wrote()
    {
        var bytes = File.ReadAllBytes(Archive("tokens.pt"));
        var name = HashedName("repo-tokens", bytes);
        using var server = new LoopbackHttpServer();
        server.Serve("/r/" + name, bytes);
        using (var model = await hub.Client.LoadAsync<jit.ScriptModule<Tensor, Tensor>>(ScriptModelTests.Repo, "from_url", new { url = server.Url("/r/" + name) }))
            AssertReproducesTokens(model);
        Assert.True(File.Exists(DownloadTestBase.CachedPath(hub.HubDirectory, server.Url("/r/" + name))));

        var missing = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync(ScriptModelTests.Repo, "archive", new { path = "weights/missing.pt" }));
        Assert.Contains("'weights/missing.pt'", missing.Message);
        Assert.EndsWith("(The repo's weights/missing.pt is " + Path.Combine((await hub.Client.OpenAsync(ScriptModelTests.Repo)).BuildDirectory, "src", "weights", "missing.pt") + " in this build of it.)", missing.Message);
    }
}
