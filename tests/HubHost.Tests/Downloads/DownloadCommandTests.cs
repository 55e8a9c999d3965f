using System.Diagnostics;
using System.Net;
using System.Text.Json;
using HubHost.Cli;

namespace HubHost.Tests.Downloads;

/// <summary><c>hubhost download</c> end to end: in process through CliApp, and as real separate processes.</summary>
public sealed class DownloadCommandTests : DownloadTestBase
{
    private readonly byte[] _content = RandomBytes(300_000, seed: 7);

    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Download_PrintsPathAndSha256()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");

        var (code, stdout, stderr) = await RunAsync("download", Server.Url("/w.bin"), destination, "--hash-prefix", Sha256(_content)[..8]);

        Assert.True(code == 0, stderr);
        Assert.Equal($"{destination}\nsha256: {Sha256(_content)}\n", stdout.ReplaceLineEndings("\n"));
        Assert.Equal(_content, File.ReadAllBytes(destination));
    }

    [Fact]
    public async Task Download_Json()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");

        var (code, stdout, stderr) = await RunAsync("download", Server.Url("/w.bin"), destination, "--json");

        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(destination, json.RootElement.GetProperty("path").GetString());
        Assert.Equal(Sha256(_content), json.RootElement.GetProperty("sha256").GetString());
        Assert.Equal(_content.Length, json.RootElement.GetProperty("bytes").GetInt64());
        Assert.True(json.RootElement.GetProperty("downloaded").GetBoolean());
    }

    [Fact]
    public async Task WrongHash_ExitsNonZero_OneLine_NoFile()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");

        var (code, stdout, stderr) = await RunAsync("download", Server.Url("/w.bin"), destination, "--hash-prefix", "abc" == Sha256(_content)[..3] ? "abd" : "abc");

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        AssertOneErrorLine(stderr, "does not have the expected hash");
        Assert.Empty(Listing(Root));
    }

    [Theory]
    [InlineData("/missing.bin", "HTTP 404")]
    [InlineData("not-a-url", "not an http or https URL")]
    public async Task BadUrl_ExitsNonZero_WithOneLineAndNoStackTrace(string url, string expected)
    {
        if (url.StartsWith('/')) url = Server.Url(url);

        var (code, stdout, stderr) = await RunAsync("download", url, Path.Combine(Root, "w.bin"));

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        AssertOneErrorLine(stderr, expected);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task ServerError_ExitsNonZero_NamingTheStatus()
    {
        var file = Server.Serve("/w.bin", _content);
        file.AlwaysStatus = HttpStatusCode.NotImplemented; // not transient: no retries, so the test stays fast

        var (code, _, stderr) = await RunAsync("download", Server.Url("/w.bin"), Path.Combine(Root, "w.bin"));

        Assert.Equal(1, code);
        AssertOneErrorLine(stderr, "HTTP 501");
    }

    [Fact]
    public async Task MissingArguments_ExitNonZero()
    {
        var (code, _, _) = await RunAsync("download", Server.Url("/w.bin"));
        Assert.NotEqual(0, code);
    }

    private static void AssertOneErrorLine(string stderr, string expected)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task TwoProcesses_SameDestination_DownloadOnce_BothSucceed()
    {
        var content = RandomBytes(2_000_000, seed: 3);
        var file = Server.Serve("/shared.bin", content);
        file.WriteSize = 64 * 1024;
        file.PauseBetweenWrites = TimeSpan.FromMilliseconds(40); // about 1.5 MB/s: the download takes ~1.3 s
        var destination = Path.Combine(Root, "shared.bin");
        var url = Server.Url("/shared.bin");

        var first = StartCli("download", url, destination, "--json");
        // The second starts once the first is downloading, so it must find the lock taken.
        var deadline = Stopwatch.StartNew();
        while (Server.Requests.Count == 0 && deadline.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.NotEmpty(Server.Requests);
        var second = StartCli("download", url, destination, "--json");

        var results = await Task.WhenAll(FinishAsync(first), FinishAsync(second));

        foreach (var (code, stdout, stderr) in results)
        {
            Assert.True(code == 0, $"exit {code}: {stderr}");
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal(destination, json.RootElement.GetProperty("path").GetString());
            Assert.Equal(Sha256(content), json.RootElement.GetProperty("sha256").GetString());
        }
        Assert.Single(Server.Requests);
        Assert.Equal(1, Server.CompleteBodies("/shared.bin"));
        Assert.Contains("Waiting for another download", results[1].Err);
        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.Equal(["shared.bin"], Listing(Root));
    }

    [Fact]
    public async Task KilledDownload_ReleasesItsLock_AndTheNextDownloadCleansUpItsTempFile()
    {
        if (OperatingSystem.IsWindows()) return;
        var content = RandomBytes(1_500_000, seed: 4);
        var file = Server.Serve("/killed.bin", content);
        file.WriteSize = 16 * 1024;
        file.PauseBetweenWrites = TimeSpan.FromMilliseconds(50); // far too slow to finish before the kill
        var destination = Path.Combine(Root, "killed.bin");

        using (var victim = StartCli("download", Server.Url("/killed.bin"), destination))
        {
            var deadline = Stopwatch.StartNew();
            while (!Listing(Root).Any(p => p.EndsWith(".partial", StringComparison.Ordinal)) && deadline.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(20);
            Assert.Contains(Listing(Root), p => p.EndsWith(".partial", StringComparison.Ordinal));
            victim.Kill(); // SIGKILL: no cleanup runs, the kernel drops its flock
            await victim.WaitForExitAsync();
        }
        Assert.Contains(Listing(Root), p => p.EndsWith(".lock", StringComparison.Ordinal)); // left behind, but not held
        file.PauseBetweenWrites = TimeSpan.Zero;

        var settings = Fast with { LockTimeout = TimeSpan.FromSeconds(2) };
        await NewClient(settings).DownloadUrlToFileAsync(Server.Url("/killed.bin"), destination, Sha256(content)[..8]);

        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.Equal(["killed.bin"], Listing(Root));
    }

    [Fact]
    public async Task Interrupt_CancelsTheDownload_RemovesItsFiles_AndExits130()
    {
        if (OperatingSystem.IsWindows()) return;
        var file = Server.Serve("/slow.bin", RandomBytes(1_500_000, seed: 5));
        file.WriteSize = 16 * 1024;
        file.PauseBetweenWrites = TimeSpan.FromMilliseconds(50);
        var cli = StartCli("download", Server.Url("/slow.bin"), Path.Combine(Root, "slow.bin"));
        var finished = FinishAsync(cli);
        var deadline = Stopwatch.StartNew();
        while (Server.BytesSent("/slow.bin") == 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(20);
        Assert.Contains(Listing(Root), p => p.EndsWith(".partial", StringComparison.Ordinal));
        await Task.Delay(100);

        using (var kill = Process.Start("kill", ["-INT", cli.Id.ToString()])) await kill.WaitForExitAsync(); // Ctrl+C

        var (code, stdout, stderr) = await finished;
        Assert.Equal(130, code);
        Assert.Empty(stdout);
        Assert.Equal("error: cancelled.", stderr.Trim());
        Assert.Empty(Listing(Root));
    }

    private static Process StartCli(params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static async Task<(int Code, string Out, string Err)> FinishAsync(Process process)
    {
        using var _ = process;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
