using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using HubHost.Cli;

using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Downloads;

/// <summary><c>hubhost download</c> end to end: in process through CliApp, and as real separate processes.</summary>
public sealed class DownloadCommandTests : DownloadTestBase
{
    private readonly byte[] _content = RandomBytes(300_000, seed: 7);

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--hub-dir", HubDirectory], stdout, stderr);
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
        file.HoldAfterBytes = 500_000; // the first download stops there until the second is waiting for it
        var destination = Path.Combine(Root, "shared.bin");
        var url = Server.Url("/shared.bin");

        var hash = Sha256(content)[..12]; // what lets the second use the first one's file
        using var first = CliProcess.Start(HubHome, "download", url, destination, "--json", "--hash-prefix", hash);
        await file.Holding.WaitAsync(TimeSpan.FromMinutes(2)); // the first download is midway, holding the lock
        using var second = CliProcess.Start(HubHome, "download", url, destination, "--json", "--hash-prefix", hash);
        await second.WaitForStderrAsync("Waiting for another download"); // the race happened: the second found the lock held
        file.Release();

        var results = await Task.WhenAll(first.FinishAsync(), second.FinishAsync());

        foreach (var (code, stdout, stderr) in results)
        {
            Assert.True(code == 0, $"exit {code}: {stderr}");
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal(destination, json.RootElement.GetProperty("path").GetString());
            Assert.Equal(Sha256(content), json.RootElement.GetProperty("sha256").GetString());
        }
        Assert.Single(Server.Requests);
        Assert.Equal(1, Server.CompleteBodies("/shared.bin"));
        Assert.Equal(content, File.ReadAllBytes(destination));
        Assert.Equal(["shared.bin"], Listing(Root));
    }

    [Fact]
    public async Task KilledDownload_ReleasesItsLock_AndTheNextDownloadCleansUpItsTempFile()
    {
        if (OperatingSystem.IsWindows()) return;
        var content = RandomBytes(1_500_000, seed: 4);
        var file = Server.Serve("/killed.bin", content);
        file.HoldAfterBytes = 300_000;
        var destination = Path.Combine(Root, "killed.bin");

        using (var victim = CliProcess.Start(HubHome, "download", Server.Url("/killed.bin"), destination))
        {
            await file.Holding.WaitAsync(TimeSpan.FromMinutes(2)); // the download is midway
            Assert.Contains(Listing(Root), p => p.EndsWith(".partial", StringComparison.Ordinal));
            victim.Process.Kill(); // SIGKILL: no cleanup runs, the kernel drops its flock
            await victim.Process.WaitForExitAsync();
        }
        Assert.Contains(Listing(Root), p => p.EndsWith(".lock", StringComparison.Ordinal)); // left behind, but not held
        file.Release();

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
        file.HoldAfterBytes = 300_000; // never released: the download is mid-way when interrupted
        using var cli = CliProcess.Start(HubHome, "download", Server.Url("/slow.bin"), Path.Combine(Root, "slow.bin"));
        await file.Holding.WaitAsync(TimeSpan.FromMinutes(2)); // the download is midway
        Assert.Contains(Listing(Root), p => p.EndsWith(".partial", StringComparison.Ordinal));

        using (var kill = Process.Start("kill", ["-INT", cli.Process.Id.ToString()])) await kill.WaitForExitAsync(); // Ctrl+C

        var (code, stdout, stderr) = await cli.FinishAsync();
        Assert.Equal(130, code);
        Assert.Empty(stdout);
        Assert.Equal("error: cancelled.", stderr.Trim());
        Assert.Empty(Listing(Root));
    }

    /// <summary>`dotnet HubHost.Cli.dll ...` as a real child process, its output collected as it comes.</summary>
    private sealed class CliProcess : IDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

        private CliProcess(Process process) => Process = process;

        public Process Process { get; }

        public string Stderr
        {
            get { lock (_stderr) return _stderr.ToString(); }
        }

        public static CliProcess Start(string hubHome, params string[] args)
        {
            var start = CliRunner.StartInfo(args, new Dictionary<string, string?> { ["HUBHOST_HOME"] = hubHome });
            start.RedirectStandardInput = false;
            var process = new Process { StartInfo = start };
            var result = new CliProcess(process);
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (result._stdout) result._stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) result.AddStderr(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return result;
        }

        private void AddStderr(string line)
        {
            lock (_stderr)
            {
                _stderr.AppendLine(line);
                foreach (var waiter in _waiters.Where(w => line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    waiter.Seen.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }

        /// <summary>Waits until the process writes a line with <paramref name="text"/> to stderr (at most 2 minutes: a liveness bound).</summary>
        public async Task WaitForStderrAsync(string text)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_stderr)
            {
                if (_stderr.ToString().Contains(text, StringComparison.Ordinal)) return;
                _waiters.Add((text, seen));
            }
            var exited = Process.WaitForExitAsync();
            try
            {
                await Task.WhenAny(seen.Task, exited).WaitAsync(TimeSpan.FromMinutes(2));
            }
            catch (TimeoutException)
            {
            }
            if (!seen.Task.IsCompleted)
                Assert.Fail($"never written to stderr: \"{text}\" (exited: {Process.HasExited}). Stderr:\n{Stderr}");
        }

        public async Task<(int Code, string Out, string Err)> FinishAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            try
            {
                await Process.WaitForExitAsync(timeout.Token); // also waits for the output to be read
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                throw;
            }
            lock (_stdout) lock (_stderr) return (Process.ExitCode, _stdout.ToString(), _stderr.ToString());
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
