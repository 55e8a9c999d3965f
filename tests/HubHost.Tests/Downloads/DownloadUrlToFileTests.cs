using System.Net;
using HubHost.Downloads;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Downloads;

/// <summary>download_url_to_file against a real HTTP server on 127.0.0.1 that misbehaves on request.</summary>
public sealed class DownloadUrlToFileTests : DownloadTestBase
{
    private const int Size = 1_000_003; // not a multiple of any buffer size

    private readonly byte[] _content = RandomBytes(Size);

    /// <summary>What a download logs when another one holds its destination's lock (FileDownloader).</summary>
    private const string WaitingForTheLock = "Waiting for another download of";

    [Fact]
    public async Task Download_WritesTheFileWithItsHash_AndLeavesNoTempOrLockFile()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "out", "w.bin");
        var progress = new ProgressLog();

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), destination, Sha256(_content)[..10], progress);

        Assert.Equal(_content, File.ReadAllBytes(destination));
        Assert.Equal(["w.bin"], Listing(Path.Combine(Root, "out")));
        Assert.StartsWith("hubhost/", Server.Requests.Single().UserAgent);
        var reports = progress.Reports;
        Assert.Equal(new DownloadProgress(Size, Size), reports[^1]);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesReceived <= p.Second.BytesReceived), "progress went backwards");
        Assert.True(reports.Count > 2, "expected intermediate progress reports");
    }

    [Fact]
    public async Task ConcurrentDownloadsOfOneDestination_WithHash_DownloadOnce()
    {
        var file = Server.Serve("/w.bin", _content);
        file.HoldAfterBytes = 100_000;
        var destination = Path.Combine(Root, "w.bin");
        var prefix = Sha256(_content)[..8];

        var logs = new CapturingLoggerFactory();
        var first = NewClient(logs: logs).DownloadUrlToFileAsync(Server.Url("/w.bin"), destination, prefix);
        await file.Holding.WaitAsync(TimeSpan.FromMinutes(1)); // the first is midway, holding the lock
        var second = NewClient(logs: logs).DownloadUrlToFileAsync(Server.Url("/w.bin"), destination, prefix);
        await logs.WaitForAsync(WaitingForTheLock); // the race happened: the second found the lock held
        Assert.False(second.IsCompleted);
        file.Release();
        await Task.WhenAll(first, second);

        Assert.Single(Server.Requests);
        Assert.Equal(_content, File.ReadAllBytes(destination));
        Assert.Equal(["w.bin"], Listing(Root));
    }

    [Fact]
    public async Task ConcurrentDownloadsOfOneUrlToOneDestination_WithoutHash_DownloadOnce()
    {
        var file = Server.Serve("/w.bin", _content);
        file.HoldAfterBytes = 100_000;
        var destination = Path.Combine(Root, "w.bin");

        var logs = new CapturingLoggerFactory();
        var first = NewClient(logs: logs).DownloadUrlToFileAsync(Server.Url("/w.bin"), destination);
        await file.Holding.WaitAsync(TimeSpan.FromMinutes(1));
        var second = NewClient(logs: logs).DownloadUrlToFileAsync(Server.Url("/w.bin"), destination);
        await logs.WaitForAsync(WaitingForTheLock);
        Assert.False(second.IsCompleted);
        file.Release();
        await Task.WhenAll(first, second);

        Assert.Single(Server.Requests); // the waiter used the file the first one fetched from the same URL
        Assert.Equal(_content, File.ReadAllBytes(destination));
        Assert.Equal(["w.bin"], Listing(Root));

        // A file changed after that download is never taken for it: the next download fetches again.
        File.WriteAllBytes(destination, [1, 2, 3]);
        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), destination);
        Assert.Equal(2, Server.Requests.Count);
        Assert.Equal(_content, File.ReadAllBytes(destination));
    }

    [Fact]
    public async Task ConcurrentDownloadsOfOneDestination_WithoutHash_RunOneAfterTheOther()
    {
        // Without a hash nothing says the other download fetched the same URL: each downloads, never at once.
        var other = RandomBytes(Size, seed: 9);
        var file = Server.Serve("/a.bin", _content);
        file.HoldAfterBytes = 100_000;
        Server.Serve("/b.bin", other);
        var destination = Path.Combine(Root, "w.bin");

        var logs = new CapturingLoggerFactory();
        var first = NewClient(logs: logs).DownloadUrlToFileAsync(Server.Url("/a.bin"), destination);
        await file.Holding.WaitAsync(TimeSpan.FromMinutes(1));
        var second = NewClient(logs: logs).DownloadUrlToFileAsync(Server.Url("/b.bin"), destination);
        await logs.WaitForAsync(WaitingForTheLock);
        Assert.Empty(Server.RequestsFor("/b.bin")); // waiting for the first
        file.Release();
        await Task.WhenAll(first, second);

        Assert.Equal(other, File.ReadAllBytes(destination)); // the second ran last and replaced it
        Assert.Equal(["w.bin"], Listing(Root));
    }

    [Fact]
    public async Task StaleTempFilesOfTheDestination_AreRemoved_OthersKept()
    {
        Server.Serve("/w.bin", _content);
        var stale = Path.Combine(Root, ".w.bin.0123456789abcdef0123456789abcdef.partial");
        var otherDestinations = Path.Combine(Root, ".w.bin.x.0123456789abcdef0123456789abcdef.partial");
        var notOurs = Path.Combine(Root, ".w.bin.notes.partial");
        foreach (var path in new[] { stale, otherDestinations, notOurs }) await File.WriteAllTextAsync(path, "x");

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"));

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(otherDestinations));
        Assert.True(File.Exists(notOurs));
    }

    [Fact]
    public async Task DownloadedFile_HasOrdinaryPermissions_NotATempFilesOwnerOnlyMode()
    {
        if (OperatingSystem.IsWindows()) return;
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");
        var reference = Path.Combine(Root, "reference");
        await File.WriteAllTextAsync(reference, "x"); // created like any file: 0666 less the umask

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), destination);

        Assert.Equal(File.GetUnixFileMode(reference), File.GetUnixFileMode(destination));
        Assert.True(File.GetUnixFileMode(destination).HasFlag(UnixFileMode.OtherRead) || !File.GetUnixFileMode(reference).HasFlag(UnixFileMode.OtherRead));
    }

    [Fact]
    public async Task Download_ReplacesAnExistingFile()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");
        await File.WriteAllTextAsync(destination, "old");

        await Task.Run(() => Hub.DownloadUrlToFile(Server.Url("/w.bin"), destination));

        Assert.Equal(_content, File.ReadAllBytes(destination));
    }

    [Fact]
    public async Task WrongHash_NamesExpectedAndActual_AndLeavesNothing()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");
        var wrong = Sha256(_content)[0] == '0' ? "1234abcd" : "0234abcd";

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), destination, wrong));

        Assert.Contains(wrong, e.Message);
        Assert.Contains(Sha256(_content), e.Message);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task WrongHash_KeepsAnExistingFileUntouched()
    {
        Server.Serve("/w.bin", _content);
        var destination = Path.Combine(Root, "w.bin");
        await File.WriteAllTextAsync(destination, "precious");

        await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), destination, "ffffffff0"));

        Assert.Equal("precious", await File.ReadAllTextAsync(destination));
        Assert.Equal(["w.bin"], Listing(Root));
    }

    [Theory]
    [InlineData("xyz")]
    [InlineData("12 34")]
    public async Task BadHashPrefix_IsRefusedBeforeAnyRequest(string prefix)
    {
        Server.Serve("/w.bin", _content);
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), prefix));
        Assert.Contains("hash prefix", e.Message);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public async Task UpperCaseHashPrefix_IsAccepted()
    {
        Server.Serve("/w.bin", _content);
        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..8].ToUpperInvariant());
        Assert.True(File.Exists(Path.Combine(Root, "w.bin")));
    }

    [Fact]
    public async Task CutConnection_WithRangeSupport_ResumesWhereItStopped()
    {
        var file = Server.Serve("/w.bin", _content);
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 300_000;
        var destination = Path.Combine(Root, "w.bin");
        var progress = new ProgressLog();

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), destination, Sha256(_content)[..16], progress);

        Assert.Equal(_content, File.ReadAllBytes(destination));
        var requests = Server.RequestsFor("/w.bin");
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.Equal("bytes=300000-", requests[1].Range);
        Assert.True(Server.BytesSent("/w.bin") < 2L * Size, $"sent {Server.BytesSent("/w.bin")} bytes for a {Size}-byte file");
        Assert.Equal(Size, Server.BytesSent("/w.bin"));
        Assert.DoesNotContain(progress.Reports.Skip(1), p => p.BytesReceived == 0); // never restarted
        Assert.Equal(["w.bin"], Listing(Root));
    }

    [Fact]
    public async Task CutConnection_WithRangeSupportAndETag_SendsIfRange()
    {
        var file = Server.Serve("/w.bin", _content);
        file.ETag = "\"v1\"";
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 200_000;

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"));

        Assert.Equal("\"v1\"", Server.RequestsFor("/w.bin")[1].IfRange);
        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
    }

    [Fact]
    public async Task FileChangedBetweenAttempts_ETagMismatch_RestartsWithTheNewFile()
    {
        var file = Server.Serve("/w.bin", _content);
        file.ETag = "\"v1\"";
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 200_000;
        var replacement = RandomBytes(Size, seed: 2);
        var client = NewClient();
        var progress = new ProgressLog();
        var switched = false;
        var wrapped = new Progress(p =>
        {
            progress.Report(p);
            if (!switched && p.BytesReceived > 0)
            {
                switched = true;
                file.Content = replacement; // the server now has another version under another ETag
                file.ETag = "\"v2\"";
            }
        });

        await client.DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), progress: wrapped);

        Assert.Equal(replacement, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
    }

    [Fact]
    public async Task FileShrankBetweenAttempts_RangeRefused_RestartsWithTheNewFile()
    {
        var file = Server.Serve("/w.bin", _content); // no ETag: nothing tells the client the file changed
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 300_000;
        var shorter = RandomBytes(200_000, seed: 3);
        var switched = false;
        var progress = new Progress(p =>
        {
            if (!switched && p.BytesReceived > 0)
            {
                switched = true;
                file.Content = shorter; // the resume asks for bytes=300000-, past its end: 416
            }
        });

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), progress: progress);

        Assert.Equal(shorter, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
        Assert.Equal([null, "bytes=300000-", null], Server.RequestsFor("/w.bin").Select(r => r.Range));
    }

    private sealed class Progress(Action<DownloadProgress> action) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => action(value);
    }

    [Fact]
    public async Task CutConnection_ServerWithoutRanges_RestartsFromZero()
    {
        var file = Server.Serve("/w.bin", _content);
        file.AdvertiseRanges = false;
        file.HonourRanges = false;
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 300_000;
        var progress = new ProgressLog();

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..16], progress);

        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
        var requests = Server.RequestsFor("/w.bin");
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Null(r.Range)); // no Range asked of a server that did not offer it
        Assert.Contains(progress.Reports.Skip(1), p => p.BytesReceived == 0); // restarted
        Assert.Equal(["w.bin"], Listing(Root));
    }

    [Fact]
    public async Task CutConnection_ServerAdvertisesRangesButAnswers200_RestartsFromZeroCleanly()
    {
        var file = Server.Serve("/w.bin", _content);
        file.HonourRanges = false; // says Accept-Ranges but sends the whole file again
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 300_000;

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..16]);

        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
        Assert.Equal("bytes=300000-", Server.RequestsFor("/w.bin")[1].Range);
        Assert.Equal(300_000 + Size, Server.BytesSent("/w.bin"));
    }

    [Fact]
    public async Task AlwaysCut_WithoutRanges_FailsAfterRetries_AndLeavesNothing()
    {
        var file = Server.Serve("/w.bin", _content);
        file.AdvertiseRanges = false;
        file.HonourRanges = false;
        file.Cut = CutMode.Always;
        file.CutAfterBytes = 100_000;

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin")));

        Assert.Contains(Server.Url("/w.bin"), e.Message);
        Assert.Contains($"after {Fast.MaxAttempts} attempts", e.Message);
        Assert.Equal(Fast.MaxAttempts, Server.RequestsFor("/w.bin").Count);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task AlwaysCut_WithRanges_CompletesPieceByPiece()
    {
        var file = Server.Serve("/w.bin", _content);
        file.Cut = CutMode.Always;
        file.CutAfterBytes = 150_000; // every response gives 150 kB more: progress each time, so no give-up

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..16]);

        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
        Assert.Equal(7, Server.RequestsFor("/w.bin").Count);
        Assert.Equal(Size, Server.BytesSent("/w.bin"));
    }

    [Fact]
    public async Task Redirect_IsFollowed_AndAResumeGoesThroughItAgain()
    {
        Server.Serve("/latest/w.bin", []).RedirectTo = "/v2/w.bin?sig=abc";
        var file = Server.Serve("/v2/w.bin", _content);
        file.Cut = CutMode.FirstRequest;
        file.CutAfterBytes = 400_000;

        await NewClient().DownloadUrlToFileAsync(Server.Url("/latest/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..8]);

        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
        Assert.Equal(["/latest/w.bin", "/v2/w.bin", "/latest/w.bin", "/v2/w.bin"], Server.Requests.Select(r => r.Path));
        Assert.Equal("bytes=400000-", Server.RequestsFor("/v2/w.bin")[1].Range);
    }

    [Fact]
    public async Task ShortBody_IsAnError_NeverAFile()
    {
        var file = Server.Serve("/w.bin", _content);
        file.AnnouncedLength = Size + 1000; // says more than it sends
        file.AdvertiseRanges = false;
        file.HonourRanges = false;

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin")));

        Assert.Contains("failed after", e.Message);
        Assert.Contains($"{Size} of {Size + 1000} bytes", e.Message);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task NotFound_NamesTheUrlAndStatus_WithoutCredentialsOrQuery()
    {
        var url = $"http://user:hunter2@127.0.0.1:{Server.Port}/missing.bin?token=s3cret";

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(url, Path.Combine(Root, "m.bin")));

        Assert.Contains($"http://127.0.0.1:{Server.Port}/missing.bin", e.Message);
        Assert.Contains("404", e.Message);
        Assert.DoesNotContain("hunter2", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
        Assert.Single(Server.Requests); // not retried
        Assert.Empty(Listing(Root));
    }

    [Theory]
    [InlineData(HttpStatusCode.Forbidden, "403")]
    [InlineData(HttpStatusCode.Unauthorized, "401")]
    public async Task AccessRefused_IsNotRetried(HttpStatusCode status, string code)
    {
        Server.Serve("/w.bin", _content).AlwaysStatus = status;
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin")));
        Assert.Contains(code, e.Message);
        Assert.Contains("refused access", e.Message);
        Assert.Single(Server.Requests);
    }

    [Fact]
    public async Task PersistentServerError_FailsAfterBoundedRetries_NamingStatus()
    {
        Server.Serve("/w.bin", _content).AlwaysStatus = HttpStatusCode.InternalServerError;

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin")));

        Assert.Contains("HTTP 500 (Internal Server Error)", e.Message);
        Assert.Contains(Server.Url("/w.bin"), e.Message);
        Assert.Equal(Fast.MaxAttempts, Server.Requests.Count);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task TransientStatuses_ThenOk_AreRetried()
    {
        var file = Server.Serve("/w.bin", _content);
        file.StatusesFirst.Enqueue(HttpStatusCode.ServiceUnavailable);
        file.StatusesFirst.Enqueue(HttpStatusCode.BadGateway);
        file.StatusesFirst.Enqueue(HttpStatusCode.TooManyRequests);
        file.ExtraHeaders["Retry-After"] = "0";

        await NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..8]);

        Assert.Equal(4, Server.Requests.Count);
        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
    }

    [Fact]
    public async Task StalledServer_TimesOut_AndResumes()
    {
        var file = Server.Serve("/w.bin", _content);
        file.StallFirstResponseAfter = 250_000; // sends, then goes silent without closing
        var settings = Fast with { ReadTimeout = TimeSpan.FromSeconds(1) };
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await NewClient(settings).DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), Sha256(_content)[..8]);

        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
        Assert.Equal(2, Server.RequestsFor("/w.bin").Count);
        Assert.Equal("bytes=250000-", Server.RequestsFor("/w.bin")[1].Range);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), "resumed before the read timeout");
    }

    [Fact]
    public async Task ConnectionRefused_FailsAfterRetries_WithAClearMessage()
    {
        int port;
        using (var probe = new LoopbackHttpServer()) port = probe.Port; // a port nobody listens on any more

        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync($"http://127.0.0.1:{port}/w.bin", Path.Combine(Root, "w.bin")));

        Assert.Contains("refused", e.Message);
        Assert.Empty(Listing(Root));
    }

    [Fact]
    public async Task TheCallerGoesOnAtItsOwnPriority_NotAtTheReceivingThreadsLoweredOne()
    {
        if (!OperatingSystem.IsLinux()) return; // only there has each thread a nice value of its own
        Server.Serve("/w.bin", _content);
        var client = NewClient();

        // In the pool, with no synchronization context: the code after the await runs on whatever thread completed the download.
        var (before, after) = await Task.Run(async () =>
        {
            var start = NiceOfThisThread();
            await client.DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"));
            return (start, NiceOfThisThread());
        });

        Assert.Equal(before, after);
        Assert.Equal(_content, File.ReadAllBytes(Path.Combine(Root, "w.bin")));
    }

    /// <summary>Field 19 of /proc/thread-self/stat (the 17th after the command name).</summary>
    private static int NiceOfThisThread()
        => int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[16], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Cancellation_StopsTheDownload_AndRemovesTheTempFile()
    {
        var file = Server.Serve("/w.bin", _content);
        file.WriteSize = 16 * 1024;
        file.PauseBetweenWrites = TimeSpan.FromMilliseconds(20); // about 0.8 MB/s
        using var cancel = new CancellationTokenSource();
        var progress = new Progress(p =>
        {
            if (p.BytesReceived > 100_000) cancel.Cancel();
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "w.bin"), progress: progress, cancellationToken: cancel.Token));

        Assert.Empty(Listing(Root));
    }

    [Theory]
    [InlineData("ftp://example.com/w.bin")]
    [InlineData("not a url")]
    [InlineData("/tmp/local/file")]
    public async Task NonHttpUrl_IsRefused(string url)
    {
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(url, Path.Combine(Root, "w.bin")));
        Assert.Contains("not an http or https URL", e.Message);
    }

    [Fact]
    public async Task DestinationIsADirectory_IsRefused()
    {
        Server.Serve("/w.bin", _content);
        Directory.CreateDirectory(Path.Combine(Root, "dir"));
        var e = await Assert.ThrowsAsync<HubException>(() => NewClient().DownloadUrlToFileAsync(Server.Url("/w.bin"), Path.Combine(Root, "dir")));
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public void Redact_DropsUserInfoQueryAndFragment()
    {
        Assert.Equal("https://example.com/a/b.pth?…", UrlText.Redact(new Uri("https://u:p@example.com/a/b.pth?sig=x#frag")));
        Assert.Equal("http://example.com:8080/b.pth", UrlText.Redact(new Uri("http://example.com:8080/b.pth")));
    }
}
