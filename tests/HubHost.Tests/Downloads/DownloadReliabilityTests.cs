using System.Diagnostics;
using HubHost.Downloads;
using Microsoft.Extensions.Time.Testing;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HubHost.Tests.Downloads;

/// <summary>
/// Downloads that must end or recover: a server that trickles (the stall check), a redirect loop, and a
/// `hubhost download` killed with SIGKILL and run again (resumed across processes with Range and If-Range).
/// </summary>
public sealed class DownloadReliabilityTests(ITestOutputHelper output) : DownloadTestBase
{
    [Fact]
    public async Task A_server_that_goes_quiet_fails_as_stalled_once_the_stall_time_has_passed()
    {
        // The stall check runs on the hub's clock: a fake one, moved on by the test, so nothing here waits for real seconds.
        var file = Server.Serve("/trickle.bin", RandomBytes(100_000, seed: 11));
        file.HoldAfterBytes = Fast.ChunkSize; // one chunk (progress is reported per chunk), then nothing until released
        var settings = Fast with { StallTime = TimeSpan.FromSeconds(2), MinimumSpeed = 100 };
        var clock = new FakeTimeProvider();
        var receiving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60)); // without the check this would wait for ever
        try
        {
            var download = NewClient(settings, clock).DownloadUrlToFileAsync(Server.Url("/trickle.bin"), Path.Combine(Root, "t.bin"),
                progress: new Reported(p => { if (p.BytesReceived >= Fast.ChunkSize) receiving.TrySetResult(); }), cancellationToken: bound.Token);
            await receiving.Task.WaitAsync(bound.Token); // the chunk arrived; the next read waits for bytes that do not come

            clock.Advance(settings.StallTime); // the first window got a whole chunk: fast enough
            Assert.False(download.IsCompleted);
            clock.Advance(settings.StallTime); // the second got nothing
            var e = await Assert.ThrowsAsync<HubException>(() => download);
            output.WriteLine($"stall time 2 s (fake clock), minimum 100 B/s: {e.Message}");
            Assert.Contains("stalled", e.Message);
            Assert.Contains("below the minimum of 100 bytes/s", e.Message);
            Assert.Contains("HUBHOST_DOWNLOAD_MIN_SPEED", e.Message);
            Assert.Single(Server.RequestsFor("/trickle.bin")); // a stall is not retried
            Assert.Empty(Listing(Root));
        }
        finally
        {
            file.Release();
        }
    }

    /// <summary>Progress reported on the reading thread (Progress&lt;T&gt; would post it elsewhere, later).</summary>
    private sealed class Reported(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }

    [Fact]
    public async Task The_cli_takes_the_stall_limits_from_the_environment_and_refuses_bad_values_in_one_line()
    {
        var file = Server.Serve("/trickle.bin", RandomBytes(100_000, seed: 12));
        file.WriteSize = 1;
        file.PauseBetweenWrites = TimeSpan.FromSeconds(1);
        var clock = Stopwatch.StartNew();
        var stalled = await CliRunner.RunAsync(["download", Server.Url("/trickle.bin"), Path.Combine(Root, "t.bin")], Env("1.5", "50"), TimeSpan.FromSeconds(60));
        output.WriteLine($"cli, HUBHOST_DOWNLOAD_STALL_TIME=1.5: exit {stalled.ExitCode} after {clock.Elapsed.TotalSeconds:0.00} s (process start included)");
        AssertOneErrorLine(stalled, "stalled");
        Assert.Contains("in 1.5 s, below the minimum of 50 bytes/s", stalled.Stderr);

        foreach (var (time, speed, name) in new[] { ("abc", "50", "HUBHOST_DOWNLOAD_STALL_TIME='abc'"), ("0", "50", "HUBHOST_DOWNLOAD_STALL_TIME='0'"), ("5", "-1", "HUBHOST_DOWNLOAD_MIN_SPEED='-1'") })
        {
            var bad = await CliRunner.RunAsync(["download", Server.Url("/trickle.bin"), Path.Combine(Root, "t.bin")], Env(time, speed));
            AssertOneErrorLine(bad, name + " is not valid: give");
        }
        Assert.Empty(Listing(Root));

        Dictionary<string, string?> Env(string time, string speed) => new()
        {
            ["HUBHOST_HOME"] = HubHome, ["HUBHOST_DOWNLOAD_STALL_TIME"] = time, ["HUBHOST_DOWNLOAD_MIN_SPEED"] = speed,
        };
    }

    [Fact]
    public async Task A_redirect_loop_says_so_and_where_it_pointed()
    {
        var file = Server.Serve("/loop.bin", [1, 2, 3]);
        file.RedirectTo = Server.Url("/loop.bin");

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/loop.bin"), Path.Combine(Root, "l.bin")));

        output.WriteLine(e.Message);
        Assert.Contains("too many redirects (more than 10)", e.Message);
        Assert.Contains("HTTP 302", e.Message);
        Assert.Contains("back to itself (a redirect loop) to " + Server.Url("/loop.bin"), e.Message);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task A_download_killed_with_sigkill_resumes_in_the_next_process_without_resending_what_it_kept()
    {
        var content = RandomBytes(4_000_000, seed: 13);
        var file = Server.Serve("/big.bin", content);
        file.ETag = "\"v1\"";
        file.StallFirstResponseAfter = 2_500_000; // the first run gets this far, then waits until it is killed
        var destination = Path.Combine(Root, "big.bin");

        var kept = await KillMidwayAsync(destination, 2_000_000);
        var sentBefore = Server.BytesSent("/big.bin");

        var again = await CliRunner.RunAsync(["download", Server.Url("/big.bin"), destination, "--hash-prefix", Sha256(content)[..12]],
            new Dictionary<string, string?> { ["HUBHOST_HOME"] = HubHome });
        Assert.True(again.ExitCode == 0, again.Stderr);

        var sentAgain = Server.BytesSent("/big.bin") - sentBefore;
        var resent = sentBefore + sentAgain - content.Length;
        output.WriteLine($"4000000-byte file: first run received {sentBefore} bytes and kept {kept} when killed; the rerun was sent {sentAgain}; re-sent in all: {resent}");
        Assert.Equal(content, File.ReadAllBytes(destination));
        var rerun = Server.RequestsFor("/big.bin")[^1];
        Assert.Equal($"bytes={kept}-", rerun.Range);
        Assert.Equal("\"v1\"", rerun.IfRange);
        Assert.Equal(content.Length - kept, sentAgain); // nothing it kept was sent again
        Assert.Equal(["big.bin"], Listing(Root)); // no partial, resume record or lock file left
    }

    [Fact]
    public async Task A_killed_download_of_a_file_that_changed_meanwhile_restarts_from_zero_with_the_new_file()
    {
        var file = Server.Serve("/big.bin", RandomBytes(3_000_000, seed: 14));
        file.ETag = "\"v1\"";
        file.StallFirstResponseAfter = 2_000_000;
        var destination = Path.Combine(Root, "big.bin");
        await KillMidwayAsync(destination, 1_000_000);

        var changed = RandomBytes(3_000_000, seed: 15);
        file.Content = changed;
        file.ETag = "\"v2\"";
        var again = await CliRunner.RunAsync(["download", Server.Url("/big.bin"), destination], new Dictionary<string, string?> { ["HUBHOST_HOME"] = HubHome });

        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(changed, File.ReadAllBytes(destination));
        Assert.Equal("\"v1\"", Server.RequestsFor("/big.bin")[^1].IfRange); // asked to resume, got the whole new file
        Assert.Equal(1, Server.CompleteBodies("/big.bin"));
        Assert.Equal(["big.bin"], Listing(Root));
    }

    [Theory]
    [InlineData("download|http://127.0.0.1:9/x.bin", "`hubhost download` needs DST")]
    [InlineData("download", "`hubhost download` needs URL and DST")]
    [InlineData("download|http://127.0.0.1:9/x.bin|DIR|--hash-prefix|xyz", "The hash prefix 'xyz' is not the start of a SHA-256 hex digest")]
    [InlineData("download|http://127.0.0.1:9/x.bin|DIR", "is a directory; give a file path")]
    [InlineData("cache|rm", "`hubhost cache rm` needs REPO")]
    [InlineData("cache|rm|", "The repo is empty")]
    [InlineData("cache|rm|owner/name:", "the ref after ':' or '#' is empty")]
    [InlineData("cache|prune|extra", "hubhost cache prune got an extra argument extra. See `hubhost cache prune --help`")]
    [InlineData("cache", "Required command was not provided. See `hubhost cache --help`")]
    public async Task Bad_input_to_download_and_cache_gives_one_error_line(string args, string expected)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HubHost.Cli.CliApp.RunAsync([.. args.Split('|').Select(a => a == "DIR" ? Root : a), "--hub-dir", HubDirectory], stdout, stderr);
        // A command line that does not parse exits 2; bad values the commands check themselves exit 1.
        var usage = expected.Contains("--help", StringComparison.Ordinal) || expected.Contains("` needs ", StringComparison.Ordinal);
        AssertOneErrorLine(new CliRunner.Result(code, stdout.ToString(), stderr.ToString()), expected, usage ? 2 : 1);
        Assert.Empty(stdout.ToString());
    }

    /// <summary>Starts `hubhost download`, waits until its partial file holds <paramref name="atLeast"/> bytes, kills it with SIGKILL; returns the partial's length.</summary>
    private async Task<long> KillMidwayAsync(string destination, long atLeast)
    {
        using var victim = CliRunner.Start(["download", Server.Url("/" + Path.GetFileName(destination)), destination], new Dictionary<string, string?> { ["HUBHOST_HOME"] = HubHome });
        string? partial = null;
        // What the download has written to disk is what it can resume from: nothing announces it, so it is polled.
        await Eventually.UntilAsync(() =>
        {
            Assert.False(victim.HasExited, "the download ended before it was killed");
            return (partial = Directory.EnumerateFiles(Root, "*.partial").FirstOrDefault()) is not null && new FileInfo(partial).Length >= atLeast;
        }, $"the partial file held {atLeast} bytes");
        victim.Kill(); // SIGKILL to the CLI alone: nothing of it runs any more
        await victim.WaitForExitAsync();
        return new FileInfo(partial!).Length;
    }

    private static void AssertOneErrorLine(CliRunner.Result result, string expected, int exitCode = 1)
    {
        Assert.Equal(exitCode, result.ExitCode);
        // Logs ([WRN] ...) and progress lines ("downloaded 3 B of ...") aside.
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('[') && !l.StartsWith("downloaded ", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, $"expected one error line, got:\n{result.Stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
    }
}
