using HubHost.Reloading;
using System.IO.Compression;
using System.Text.Json;
using HubHost.Storage;
using HubHost.Sources.NuGet;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// Issue 12: hub repos packed once (<c>hubhost pack</c>) and loaded from NuGet feeds by <c>nuget:Id</c> with no
/// <c>dotnet build</c> — a folder feed filled by <c>dotnet nuget push</c> and a static v3 feed over HTTP on 127.0.0.1.
/// In-process, a client proves no build ran by its build count; CLI runs set HUBHOST_NO_BUILD=1, under which any
/// build is a loud error (shown to bite on a local folder).
/// </summary>
[Collection(NuGetFeedCollection.Name)]
public sealed class NuGetSourceTests(NuGetFeedFixture feed)
{
    private static readonly HubLoadOptions Trusted = new() { TrustRepo = TrustRepo.Trust };

    [Fact]
    public void Pack_writes_the_repos_assemblies_shipped_files_and_manifest_with_dependencies_not_bundled()
    {
        var json = feed.Results["Hub.Json@12.0.0"];
        Assert.Equal("Hub.Json.12.0.0.nupkg", Path.GetFileName(json.Path));
        Assert.Equal(["Newtonsoft.Json [12.0.3, )"], json.Dependencies);
        using (var zip = ZipFile.OpenRead(json.Path))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("lib/net10.0/hubconf.dll", names);
            Assert.Contains("lib/net10.0/hubconf.xml", names);
            Assert.Contains("hubhost.json", names);
            Assert.Contains("hub/repo/hubconf.csproj", names);
            Assert.DoesNotContain(names, n => n.EndsWith("Newtonsoft.Json.dll", StringComparison.OrdinalIgnoreCase));
            using var manifest = JsonDocument.Parse(zip.GetEntry("hubhost.json")!.Open());
            Assert.Equal(["describe", "newtonsoft_version", "context"], manifest.RootElement.GetProperty("entrypoints").EnumerateArray().Select(e => e.GetProperty("name").GetString()));
            Assert.Equal("describe() -> string", manifest.RootElement.GetProperty("entrypoints")[0].GetProperty("signature").GetString());
        }

        // The vision repo: TorchVision is a dependency; TorchSharp and HubHost.Contract are the host's, so neither a
        // dependency nor a file; the weights the repo ships are in the package; the manifest names the contract versions.
        var vision = feed.Results["Hub.Vision@1.0.0"];
        Assert.Equal(["TorchVision [0.107.0, )"], vision.Dependencies);
        Assert.Contains("hub/repo/digits_mlp.pt", vision.Files);
        Assert.DoesNotContain(vision.Files, f => f.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase) || f.Contains("HubHost.Contract", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(typeof(torch).Assembly.GetName().Version!.ToString(), vision.Contracts["TorchSharp"]);
        Assert.True(vision.Contracts.ContainsKey("HubHost.Contract"));
        Assert.Contains("resnet18", vision.Entrypoints);
    }

    [Fact]
    public async Task Folder_feed_two_versions_of_one_package_load_side_by_side_each_with_its_own_newtonsoft_and_no_build()
    {
        var hub = feed.NewClient(feed.FolderConfig, out var hubDirectory);
        var v12 = await hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted);
        var v13 = await hub.OpenAsync("nuget:Hub.Json@13.0.0", Trusted);
        try
        {
            Assert.Equal("12.0.0.0", await v12.InvokeAsync("newtonsoft_version"));
            Assert.Equal("13.0.0.0", await v13.InvokeAsync("newtonsoft_version"));
            Assert.Equal("nuget:Hub.Json@12.0.0", await v12.InvokeAsync("context"));
            Assert.Equal("nuget:Hub.Json@13.0.0", await v13.InvokeAsync("context"));
            Assert.NotSame(v12.LoadContext, v13.LoadContext);
            // No version: the highest stable one; a range: the highest in it.
            Assert.Same(v13, await hub.OpenAsync("nuget:Hub.Json", Trusted));
            Assert.Same(v12, await hub.OpenAsync("nuget:hub.json@[12.0,13.0)", Trusted));
            Assert.Equal(0, hub.BuildsStarted);
            Assert.False(Directory.Exists(Path.Combine(hubDirectory, "contracts")), "the contract feed is only written for builds");
            Assert.StartsWith(HubDirectories.Builds(hubDirectory), v12.BuildDirectory);
            Assert.True(File.Exists(Path.Combine(hubDirectory, "nuget", "packages", "newtonsoft.json", "12.0.3", "newtonsoft.json.12.0.3.nupkg.sha512")));
            Assert.True(File.Exists(Path.Combine(hubDirectory, "nuget", "packages", "newtonsoft.json", "13.0.3", "newtonsoft.json.13.0.3.nupkg.sha512")));
        }
        finally
        {
            v12.Dispose();
            v13.Dispose();
        }
    }

    [Fact]
    public async Task Vision_package_from_the_http_v3_feed_returns_torchsharp_modules_with_the_weights_it_ships()
    {
        var hub = feed.NewClient(feed.HttpConfig, out _);
        var repo = await hub.OpenAsync("nuget:Hub.Vision@1.0.0", Trusted);
        try
        {
            using var mlp = Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(await repo.InvokeAsync("digits_mlp", new { pretrained = true }));
            mlp.eval();
            using (no_grad())
            using (var logits = mlp.forward(ones(2, 64)))
                Assert.Equal([2L, 10L], logits.shape);
            Assert.Equal(File.ReadAllBytes(RepoPaths.Sample("vision") + "/digits_mlp.pt"), File.ReadAllBytes(Path.Combine(repo.BuildDirectory, "src", "digits_mlp.pt")));

            using var resnet = Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(await repo.InvokeAsync("resnet18", new { numClasses = 7 }));
            resnet.eval();
            using (no_grad())
            using (var logits = resnet.forward(zeros(1, 3, 64, 64)))
                Assert.Equal([1L, 7L], logits.shape);

            // The casts above worked: one TorchSharp, the host's. TorchVision and SkiaSharp's natives for this platform from the feed, no TorchSharp copy.
            var files = Directory.EnumerateFiles(Path.Combine(repo.BuildDirectory, "out")).Select(Path.GetFileName).ToList();
            Assert.Contains("TorchVision.dll", files);
            Assert.Contains("SkiaSharp.dll", files);
            Assert.Contains(OperatingSystem.IsLinux() ? "libSkiaSharp.so" : "SkiaSharp.dll", files);
            Assert.DoesNotContain(files, f => f!.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || f.StartsWith("HubHost.Contract", StringComparison.Ordinal) || f.Contains("torch_cpu", StringComparison.Ordinal));
            Assert.Equal(0, hub.BuildsStarted);
            Assert.NotEmpty(feed.Http.RequestsFor("/v3/flat/hub.vision/1.0.0/hub.vision.1.0.0.nupkg"));
            Assert.NotEmpty(feed.Http.RequestsFor("/v3/flat/torchvision/index.json"));
            Assert.DoesNotContain(feed.Http.Requests, r => r.Path.Contains("torchsharp", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            repo.Dispose();
        }
    }

    [Fact]
    public async Task Cli_loads_from_the_http_feed_with_builds_disabled_which_a_local_folder_cannot()
    {
        using var home = new TempDirectory();
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = home.Path, ["HUBHOST_NO_BUILD"] = "1" };
        var cwd = Path.GetDirectoryName(feed.HttpConfig)!;

        var load = await CliRunner.RunAsync(["load", "nuget:Hub.Hello@1.0.0", "greet", "--arg", "name=fleet", "--trust-repo"], env, workingDirectory: cwd);
        Assert.True(load.ExitCode == 0, load.Stderr);
        Assert.Contains("hello, fleet.", load.Stdout);
        Assert.Contains("load context: nuget:Hub.Hello@1.0.0", load.Stdout);
        Assert.Contains("(no build)", load.Stderr);

        // The switch has teeth: the same host refuses to build a local folder.
        var local = await CliRunner.RunAsync(["list", RepoPaths.Sample("hello")], env, workingDirectory: cwd);
        Assert.Equal(1, local.ExitCode);
        Assert.Contains("HUBHOST_NO_BUILD is set", OneErrorLine(local.Stderr));

        var compare = await CliRunner.RunAsync(["compare", "nuget:Hub.Json@12.0.0", "nuget:Hub.Json@13.0.0", "describe", "--trust-repo"], env, workingDirectory: cwd);
        Assert.True(compare.ExitCode == 0, compare.Stderr);
        Assert.Contains("Newtonsoft.Json 12.0.0.0", compare.Stdout);
        Assert.Contains("Newtonsoft.Json 13.0.0.0", compare.Stdout);

        var ls = await CliRunner.RunAsync(["cache", "ls"], env);
        Assert.Contains("Hub.Hello".ToLowerInvariant() + " 1.0.0  hub package", ls.Stdout);
        Assert.Contains("newtonsoft.json 12.0.3  dependency", ls.Stdout);
        var rm = await CliRunner.RunAsync(["cache", "rm", "nuget:Hub.Json@12.0.0"], env);
        Assert.True(rm.ExitCode == 0, rm.Stderr);
        Assert.Contains("removed package Hub.Json 12.0.0", rm.Stdout);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "hub", "nuget", "packages", "hub.json", "12.0.0")));
        Assert.True(Directory.Exists(Path.Combine(home.Path, "hub", "nuget", "packages", "hub.json", "13.0.0")));
    }

    [Fact]
    public async Task Offline_loads_from_a_warm_package_folder_and_says_what_is_missing_from_a_cold_one()
    {
        var hub = feed.NewClient(feed.FolderConfig, out var hubDirectory);
        (await hub.OpenAsync("nuget:Hub.Json", Trusted)).Dispose();
        // Only the package folder survives (a baked container image): the load folder is remade from it, offline.
        Directory.Delete(HubDirectories.Builds(hubDirectory), recursive: true);
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hubDirectory), ["HUBHOST_NO_BUILD"] = "1", ["HUBHOST_OFFLINE"] = "1" };
        var down = Path.GetDirectoryName(feed.DownConfig)!;

        var warm = await CliRunner.RunAsync(["load", "nuget:Hub.Json", "describe"], env, workingDirectory: down);
        Assert.True(warm.ExitCode == 0, warm.Stderr);
        Assert.Contains("Newtonsoft.Json 13.0.0.0", warm.Stdout);

        var cold = await CliRunner.RunAsync(["load", "nuget:Hub.Hello", "greet", "--trust-repo"], env, workingDirectory: down);
        Assert.Equal(1, cold.ExitCode);
        Assert.Contains("Hub.Hello is not in the hub's package folder, and the hub is offline (HUBHOST_OFFLINE is set", OneErrorLine(cold.Stderr));
    }

    [Fact]
    public async Task Trust_is_per_package_id_ignoring_case()
    {
        using var home = new TempDirectory();
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = home.Path, ["HUBHOST_NO_BUILD"] = "1" };
        var cwd = Path.GetDirectoryName(feed.FolderConfig)!;
        var refused = await CliRunner.RunAsync(["load", "nuget:Hub.Hello", "greet"], env, workingDirectory: cwd);
        Assert.Equal(1, refused.ExitCode);
        var line = OneErrorLine(refused.Stderr);
        Assert.Contains("Refusing to load nuget:Hub.Hello", line);
        Assert.Contains("hubhost trust add nuget:Hub.Hello", line);
        Assert.False(Directory.Exists(Path.Combine(home.Path, "hub", "nuget", "packages", "hub.hello")), "nothing is downloaded before trust");

        var add = await CliRunner.RunAsync(["trust", "add", "nuget:hub.hello@1.0.0"], env);
        Assert.True(add.ExitCode == 0, add.Stderr);
        var loaded = await CliRunner.RunAsync(["load", "nuget:Hub.Hello", "greet"], env, workingDirectory: cwd);
        Assert.True(loaded.ExitCode == 0, loaded.Stderr);
        Assert.Contains("hello, world.", loaded.Stdout);
    }

    [Fact]
    public async Task Hot_reload_picks_up_a_newer_version_within_the_range_when_it_is_pushed()
    {
        var (privateFeed, config) = feed.CopyFeed("Hub.Json.13.0.0.nupkg");
        var hub = feed.NewClient(config, out _);
        using var live = await ReloadableEntrypoint<string>.CreateAsync(hub, "nuget:Hub.Json@[12.0,14.0)", "newtonsoft_version", options: new() { TrustRepo = TrustRepo.Trust });
        Assert.Equal("12.0.0", live.Version);
        Assert.Equal("12.0.0.0", live.Current);
        var unchanged = await live.ReloadAsync();
        Assert.Null(unchanged.Error);
        Assert.False(unchanged.Changed);

        NuGetFeedFixture.Push(feed.Results["Hub.Json@13.0.0"].Path, privateFeed);
        var reloaded = await live.ReloadAsync();
        Assert.Null(reloaded.Error);
        Assert.True(reloaded.Changed);
        Assert.Equal("13.0.0", live.Version);
        Assert.Equal("13.0.0.0", live.Current);
        Assert.Equal(0, hub.BuildsStarted);
    }

    [Theory]
    [InlineData("nuget:Hub.Nope", "No NuGet feed has a package Hub.Nope")]
    [InlineData("nuget:Hub.Hello@9.9.9", "Hub.Hello has no version 9.9.9 on the feeds; it has 1.0.0")]
    [InlineData("nuget:Hub.Hello@[5.0,)", "Hub.Hello has no version in (>= 5.0.0)")]
    [InlineData("nuget:Newtonsoft.Json@13.0.3", "The package Newtonsoft.Json 13.0.3 is not a hub package: it has no hubhost.json")]
    [InlineData("nuget:Hub.Hello@not-a-version", "is neither a NuGet version nor a version range")]
    [InlineData("nuget:bad id", "is not a valid package id")]
    public async Task Bad_input_gets_one_clear_error(string repo, string expected)
    {
        using var home = new TempDirectory();
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = home.Path, ["HUBHOST_NO_BUILD"] = "1" };
        var result = await CliRunner.RunAsync(["list", repo, "--trust-repo"], env, workingDirectory: Path.GetDirectoryName(feed.HttpConfig)!);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expected, OneErrorLine(result.Stderr));
    }

    [Fact]
    public async Task A_feed_that_is_down_is_one_clear_error()
    {
        using var home = new TempDirectory();
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = home.Path, ["HUBHOST_NO_BUILD"] = "1" };
        var result = await CliRunner.RunAsync(["list", "nuget:Hub.Hello", "--trust-repo"], env, workingDirectory: Path.GetDirectoryName(feed.DownConfig)!);
        Assert.Equal(1, result.ExitCode);
        var line = OneErrorLine(result.Stderr);
        Assert.Contains("No NuGet feed answered for Hub.Hello", line);
        Assert.Contains("127.0.0.1", line);
    }

    [Fact]
    public async Task A_package_built_against_a_higher_contract_version_is_refused_before_its_dependencies_are_downloaded()
    {
        var (privateFeed, config) = feed.CopyFeed();
        var package = Path.Combine(privateFeed, "Hub.Json.12.0.0.nupkg");
        using (var zip = ZipFile.Open(package, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("hubhost.json")!;
            var manifest = HubPackageManifest.TryParse(ReadAll(entry))!;
            entry.Delete();
            using var stream = zip.CreateEntry("hubhost.json").Open();
            stream.Write((manifest with { Contracts = new() { ["HubHost.Contract"] = "99.0.0.0" } }).ToJson());
        }
        var hub = feed.NewClient(config, out var hubDirectory);
        var e = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Json@12.0.0", Trusted));
        Assert.Contains("was built against HubHost.Contract 99.0.0.0, but this host has HubHost.Contract", e.Message);
        Assert.False(Directory.Exists(Path.Combine(hubDirectory, "nuget", "packages", "newtonsoft.json")), "no dependency was downloaded");
    }

    [Fact]
    public async Task A_version_whose_bytes_changed_on_the_feed_is_a_hash_mismatch()
    {
        var (privateFeed, config) = feed.CopyFeed();
        var hub = feed.NewClient(config, out var hubDirectory);
        (await hub.OpenAsync("nuget:Hub.Hello@1.0.0", Trusted)).Dispose();
        await hub.RemoveFromCacheAsync("nuget:Hub.Hello");
        var package = Path.Combine(privateFeed, "Hub.Hello.1.0.0.nupkg");
        NuGetFeedFixture.WriteAlteredCopy(feed.Results["Hub.Hello@1.0.0"].Path, package, "hub/repo/planted.txt", "not what was published");

        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hubDirectory), ["HUBHOST_NO_BUILD"] = "1" };
        var result = await CliRunner.RunAsync(["list", "nuget:Hub.Hello@1.0.0"], env, workingDirectory: Path.GetDirectoryName(config)!);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Hash mismatch for Hub.Hello 1.0.0", OneErrorLine(result.Stderr));
        Assert.False(Directory.Exists(Path.Combine(hubDirectory, "nuget", "packages", "hub.hello", "1.0.0")), "the changed package was not installed");
    }

    [Fact]
    public async Task A_folder_feed_whose_published_sha512_disagrees_with_the_package_is_refused()
    {
        // NuGet's hierarchical folder feed (what `nuget add` writes): id/version/ with the .nupkg, its .nupkg.sha512 and the nuspec.
        var root = Path.Combine(feed.Root, "v3-folder-" + Guid.NewGuid().ToString("N")[..8]);
        var folder = Path.Combine(root, "hub.hello", "1.0.0");
        Directory.CreateDirectory(folder);
        var package = Path.Combine(folder, "hub.hello.1.0.0.nupkg");
        File.Copy(feed.Results["Hub.Hello@1.0.0"].Path, package);
        using (var zip = ZipFile.OpenRead(package))
            zip.GetEntry("Hub.Hello.nuspec")!.ExtractToFile(Path.Combine(folder, "hub.hello.nuspec"));
        var published = Path.Combine(folder, "hub.hello.1.0.0.nupkg.sha512");
        File.WriteAllText(published, HubPackageStore.Sha512(package));
        var config = feed.WriteConfig("v3folder-" + Guid.NewGuid().ToString("N")[..8], root);

        var hub = feed.NewClient(config, out _);
        Assert.Equal("hello, v3.", await hub.LoadAsync<string>("nuget:Hub.Hello", "greet", new { name = "v3" }, Trusted));

        File.WriteAllText(published, Convert.ToBase64String(new byte[64]));
        var other = feed.NewClient(config, out var otherHub);
        var e = await Assert.ThrowsAsync<HubException>(() => other.OpenAsync("nuget:Hub.Hello@1.0.0", Trusted));
        Assert.Contains("does not match the SHA-512 the feed published beside it", e.Message);
        Assert.False(Directory.Exists(Path.Combine(otherHub, "nuget", "packages", "hub.hello", "1.0.0")));
    }

    [Fact]
    public async Task A_private_http_feed_is_read_with_the_credentials_of_nuget_config_and_refused_without()
    {
        using var server = new HubHost.Tests.Downloads.LoopbackHttpServer();
        NuGetFeedFixture.ServeV3(server, feed.FolderFeed);
        server.RequiredAuthorization = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("fleet:s3cret"));
        var folder = Path.Combine(feed.Root, "configs", "private-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        var withCredentials = Path.Combine(folder, "with.config");
        File.WriteAllText(withCredentials, $"""
            <configuration>
              <packageSources><clear /><add key="private" value="{server.Url("/v3/index.json")}" allowInsecureConnections="true" /></packageSources>
              <packageSourceCredentials><private><add key="Username" value="fleet" /><add key="ClearTextPassword" value="s3cret" /></private></packageSourceCredentials>
            </configuration>
            """);
        var without = feed.WriteConfig("private-anonymous-" + Guid.NewGuid().ToString("N")[..8], server.Url("/v3/index.json"));

        var refused = feed.NewClient(without, out _);
        var e = await Assert.ThrowsAsync<HubException>(() => refused.OpenAsync("nuget:Hub.Json@[12.0,13.0)", Trusted));
        Assert.Contains("No NuGet feed answered for Hub.Json", e.Message);
        Assert.Contains("401", e.Message);

        var hub = feed.NewClient(withCredentials, out _);
        var repo = await hub.OpenAsync("nuget:Hub.Json@[12.0,13.0)", Trusted);
        Assert.Equal("12.0.0.0", await repo.InvokeAsync("newtonsoft_version"));
        repo.Dispose();
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    /// <summary>The one error line of a failed CLI run (asserting there is exactly one).</summary>
    private static string OneErrorLine(string stderr)
    {
        var lines = stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, stderr);
        return lines[0];
    }
}
