using System.Security.Cryptography;
using HubHost.Downloads;

namespace HubHost.Tests.Downloads;

/// <summary>A fresh temp directory per test, removed afterwards; fast download settings; test data.</summary>
public abstract class DownloadTestBase : IDisposable
{
    protected DownloadTestBase()
    {
        Root = Directory.CreateTempSubdirectory("hubhost-dl-").FullName;
        HubHome = Directory.CreateTempSubdirectory("hubhost-dl-home-").FullName;
        Server = new LoopbackHttpServer();
    }

    /// <summary>Where the tests download to (listed to prove nothing else is left there).</summary>
    protected string Root { get; }

    /// <summary>HUBHOST_HOME of the clients and CLI runs (the hub directory is its "hub" folder), apart from <see cref="Root"/>.</summary>
    protected string HubHome { get; }

    protected string HubDirectory => Path.Combine(HubHome, "hub");

    protected LoopbackHttpServer Server { get; }

    /// <summary>Short back-offs and waits so failing cases finish quickly.</summary>
    internal static DownloadSettings Fast { get; } = new()
    {
        MaxAttempts = 4,
        InitialBackoff = TimeSpan.FromMilliseconds(10),
        MaxBackoff = TimeSpan.FromMilliseconds(50),
        RetryWindow = TimeSpan.FromSeconds(20),
        ReadTimeout = TimeSpan.FromSeconds(5),
        LockTimeout = TimeSpan.FromSeconds(30),
        LockPollInterval = TimeSpan.FromMilliseconds(20),
        ChunkSize = 64 * 1024,
        ProgressInterval = TimeSpan.Zero,
    };

    internal HubClient NewClient(DownloadSettings? settings = null, TimeProvider? timeProvider = null, Infrastructure.CapturingLoggerFactory? logs = null)
        => new(new HubOptions { HubDirectory = HubDirectory }, loggerFactory: logs, timeProvider: timeProvider) { DownloadSettings = settings ?? Fast };

    protected static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The folder the checkpoint cache keys <paramref name="url"/> by (20 hex digits of its SHA-256).</summary>
    internal static string KeyOf(string url) => WeightsSource.Parse(url).Digest[..CheckpointCache.KeyLength];

    /// <summary>Where the checkpoint cache of <paramref name="hubDirectory"/> keeps <paramref name="url"/>'s file.</summary>
    internal static string CachedPath(string hubDirectory, string url)
        => Path.Combine(hubDirectory, "checkpoints", KeyOf(url), WeightsSource.Parse(url).FileName);

    protected static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Every entry below <paramref name="directory"/>, relative, hidden files included.</summary>
    protected static string[] Listing(string directory)
        => Directory.Exists(directory)
            ? Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(directory, p)).Order(StringComparer.Ordinal).ToArray()
            : [];

    protected static string FixturePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "downloads", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fixture {name} not found above {AppContext.BaseDirectory}");
    }

    public virtual void Dispose()
    {
        try
        {
            Server.Dispose();
        }
        finally
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
            try { Directory.Delete(HubHome, recursive: true); } catch (IOException) { }
            GC.SuppressFinalize(this);
        }
    }
}

/// <summary>Collects progress reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
public sealed class ProgressLog : IProgress<DownloadProgress>
{
    private readonly List<DownloadProgress> _reports = [];

    public IReadOnlyList<DownloadProgress> Reports
    {
        get { lock (_reports) return _reports.ToArray(); }
    }

    public void Report(DownloadProgress value)
    {
        lock (_reports) _reports.Add(value);
    }
}
