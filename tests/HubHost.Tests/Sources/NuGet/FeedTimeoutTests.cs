using System.Diagnostics;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// Issue 21, item 5: a NuGet feed that accepts the connection and never answers. Before, <c>hubhost load nuget:x</c>
/// waited on it for more than 150 s (NuGet's own 100 s per request, retried); now every feed request is bounded by
/// <see cref="HubOptions.NuGetTimeout"/> (<c>HUBHOST_NUGET_TIMEOUT</c>) and the error says so. The times observed are
/// written to the test output, never asserted.
/// </summary>
[Collection(NuGetFeedCollection.Name)]
public sealed class FeedTimeoutTests(NuGetFeedFixture feed, ITestOutputHelper output)
{
    [Fact]
    public async Task A_feed_that_never_answers_fails_after_the_timeout_with_one_error_naming_it()
    {
        using var silent = new SilentServer();
        using var home = new TempDirectory();
        var config = silent.WriteNuGetConfig(home.Combine("cwd"));
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = home.Path, ["HUBHOST_NO_BUILD"] = "1", ["HUBHOST_NUGET_TIMEOUT"] = "3" };

        var watch = Stopwatch.StartNew();
        var result = await CliRunner.RunAsync(["list", "nuget:Hub.Hello", "--trust-repo"], env, TimeSpan.FromSeconds(90), Path.GetDirectoryName(config)!);
        output.WriteLine($"hubhost list nuget:Hub.Hello against a silent feed, HUBHOST_NUGET_TIMEOUT=3: exit {result.ExitCode} after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, result.Stderr);
        Assert.Contains("No NuGet feed answered for Hub.Hello", lines[0]);
        Assert.Contains($"127.0.0.1:{silent.Port}", lines[0]);
        Assert.Contains("no answer within 3 s (HUBHOST_NUGET_TIMEOUT", lines[0]);
        Assert.True(silent.Connections > 0, "the feed was asked");
    }

    [Fact]
    public async Task In_process_the_option_bounds_the_request_and_cancellation_still_wins()
    {
        using var silent = new SilentServer();
        using var home = new TempDirectory();
        var config = silent.WriteNuGetConfig(home.Combine("cfg"));
        var hub = new HubClient(new HubOptions { HubDirectory = home.Combine("hub"), NuGetConfigFile = config, NuGetTimeout = TimeSpan.FromSeconds(2) });
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HubException>(() => hub.OpenAsync("nuget:Hub.Hello@[1.0,2.0)", new HubLoadOptions { TrustRepo = TrustRepo.Trust }));
        output.WriteLine($"OpenAsync against a silent feed, NuGetTimeout = 2 s: failed after {watch.Elapsed.TotalSeconds:0.0} s: {e.Message}");
        Assert.Contains("no answer within 2 s", e.Message);

        // The caller's own cancellation is a cancellation, not a feed timeout.
        var patient = new HubClient(new HubOptions { HubDirectory = home.Combine("hub2"), NuGetConfigFile = config, NuGetTimeout = TimeSpan.FromMinutes(10) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => patient.OpenAsync("nuget:Hub.Hello@[1.0,2.0)", new HubLoadOptions { TrustRepo = TrustRepo.Trust }, cancel.Token));
    }

    [Fact]
    public async Task A_download_that_stops_sending_fails_after_the_timeout_while_one_that_keeps_sending_is_not_cut()
    {
        using var server = new Downloads.LoopbackHttpServer();
        NuGetFeedFixture.ServeV3(server, feed.FolderFeed);
        var package = server.Serve("/v3/flat/hub.hello/1.0.0/hub.hello.1.0.0.nupkg", File.ReadAllBytes(feed.Results["Hub.Hello@1.0.0"].Path));
        var config = feed.WriteConfig("stalling-" + Guid.NewGuid().ToString("N")[..8], server.Url("/v3/index.json"));

        // Slow but steady (a piece every 0.5 s, 4 s in all): longer than the 2 s timeout, never 2 s without a byte.
        package.WriteSize = (int)(new FileInfo(feed.Results["Hub.Hello@1.0.0"].Path).Length / 8 + 1);
        package.PauseBetweenWrites = TimeSpan.FromMilliseconds(500);
        using var steadyHome = new TempDirectory();
        var slow = new HubClient(new HubOptions { HubDirectory = steadyHome.Combine("hub"), NuGetConfigFile = config, NuGetTimeout = TimeSpan.FromSeconds(2) });
        Assert.Equal("hello, slow.", await slow.LoadAsync<string>("nuget:Hub.Hello@1.0.0", "greet", new { name = "slow" }, new HubLoadOptions { TrustRepo = TrustRepo.Trust }));

        // Stops after 1000 bytes and holds the connection open.
        package.PauseBetweenWrites = TimeSpan.Zero;
        package.HoldAfterBytes = 1000;
        using var stalledHome = new TempDirectory();
        var stalledHub = stalledHome.Combine("hub");
        var stalled = new HubClient(new HubOptions { HubDirectory = stalledHub, NuGetConfigFile = config, NuGetTimeout = TimeSpan.FromSeconds(2) });
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<HubException>(() => stalled.OpenAsync("nuget:Hub.Hello@1.0.0", new HubLoadOptions { TrustRepo = TrustRepo.Trust }));
        output.WriteLine($"a download stalled after 1000 bytes, NuGetTimeout = 2 s: failed after {watch.Elapsed.TotalSeconds:0.0} s: {e.Message}");
        package.Release();
        Assert.Contains("Could not download Hub.Hello 1.0.0", e.Message);
        Assert.Contains("no answer within 2 s", e.Message);
        Assert.False(Directory.Exists(Path.Combine(stalledHub, "nuget", "packages", "hub.hello", "1.0.0")));
    }
}
