using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// Real git for tests: a working repo where commits are made, a bare repo that serves them (over file://,
/// <c>git daemon</c> on 127.0.0.1, or dumb HTTP), and pushes from one to the other.
/// </summary>
public sealed class GitTestRepo
{
    public GitTestRepo(string root, string name)
    {
        Name = name;
        WorkDirectory = Path.Combine(root, "work", name);
        ServeRoot = Path.Combine(root, "srv");
        BarePath = Path.Combine(ServeRoot, "hubs", name + ".git");
        Directory.CreateDirectory(WorkDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(BarePath)!);
        Git(WorkDirectory, "init", "--quiet", "-b", "main");
        Git(null, "init", "--quiet", "--bare", BarePath);
        Git(BarePath, "symbolic-ref", "HEAD", "refs/heads/main");
    }

    public string Name { get; }

    public string WorkDirectory { get; }

    /// <summary>The folder served (git daemon's base path; HUBHOST_GIT_BASE_URL's file:// base).</summary>
    public string ServeRoot { get; }

    public string BarePath { get; }

    /// <summary><c>hubs/NAME</c>: the owner/name form on a base URL pointing at <see cref="ServeRoot"/>.</summary>
    public string OwnerName => "hubs/" + Name;

    public string FileUrl => "file://" + BarePath;

    private const string SymlinkPrefix = "\0symlink:";

    /// <summary>The "content" of a file that <see cref="Commit"/> makes a symbolic link to <paramref name="target"/>.</summary>
    public static string Symlink(string target) => SymlinkPrefix + target;

    /// <summary>Replaces the working tree's files and commits them on <paramref name="branch"/> (created from <paramref name="from"/> if new); returns the commit.</summary>
    public string Commit(string branch, IReadOnlyDictionary<string, string> files, string message, string? from = null)
    {
        var exists = Git(WorkDirectory, "branch", "--list", branch).Trim().Length > 0;
        var hasCommits = RunGit(WorkDirectory, ["rev-parse", "--verify", "--quiet", "HEAD"]).ExitCode == 0;
        if (exists) Git(WorkDirectory, "checkout", "--quiet", branch);
        else if (from is not null) Git(WorkDirectory, "checkout", "--quiet", "-b", branch, from);
        else if (hasCommits) Git(WorkDirectory, "checkout", "--quiet", "--orphan", branch);
        else Git(WorkDirectory, "checkout", "--quiet", "-B", branch);
        foreach (var entry in Directory.EnumerateFileSystemEntries(WorkDirectory).Where(e => Path.GetFileName(e) != ".git"))
        {
            if (Directory.Exists(entry)) Directory.Delete(entry, true);
            else File.Delete(entry);
        }
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(WorkDirectory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            if (content.StartsWith(SymlinkPrefix, StringComparison.Ordinal)) File.CreateSymbolicLink(full, content[SymlinkPrefix.Length..]);
            else File.WriteAllText(full, content);
        }
        Git(WorkDirectory, "add", "-A");
        Git(WorkDirectory, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "--allow-empty", "-m", message);
        return Git(WorkDirectory, "rev-parse", "HEAD").Trim();
    }

    /// <summary>Points <paramref name="branch"/> of the served repo at <paramref name="commit"/> (a forced push).</summary>
    public void Push(string commit, string branch)
    {
        Git(WorkDirectory, "push", "--quiet", "--force", BarePath, $"{commit}:refs/heads/{branch}");
        UpdateServerInfo();
    }

    public void PushTag(string tag, string commit, bool annotated)
    {
        if (annotated) Git(WorkDirectory, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "tag", "-a", "-f", "-m", tag, tag, commit);
        else Git(WorkDirectory, "tag", "-f", tag, commit);
        Git(WorkDirectory, "push", "--quiet", "--force", BarePath, $"refs/tags/{tag}:refs/tags/{tag}");
        UpdateServerInfo();
    }

    public void DeleteBranch(string branch)
    {
        Git(WorkDirectory, "push", "--quiet", BarePath, $":refs/heads/{branch}");
        UpdateServerInfo();
    }

    /// <summary>Dumb HTTP serves info/refs and objects/info/packs, which this regenerates.</summary>
    private void UpdateServerInfo() => Git(BarePath, "update-server-info");

    public static string Git(string? directory, params string[] args)
    {
        var result = RunGit(directory, args);
        if (result.ExitCode != 0) throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {result.Stderr}");
        return result.Stdout;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunGit(string? directory, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null)
        {
            info.ArgumentList.Add("-C");
            info.ArgumentList.Add(directory);
        }
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary><c>git daemon</c> on 127.0.0.1 serving a folder, started and stopped (by process id) by the test.</summary>
public sealed class GitDaemon : IDisposable
{
    private Process? _process;

    public GitDaemon(string basePath, int? port = null)
    {
        BasePath = basePath;
        Port = port ?? GitTestRepo.FreePort();
        Start();
    }

    public string BasePath { get; }

    public int Port { get; }

    public string BaseUrl => $"git://127.0.0.1:{Port}/";

    public bool IsRunning => _process is { HasExited: false };

    public void Start()
    {
        if (IsRunning) return;
        var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        // --verbose: the daemon logs "Ready to rumble" once its socket listens (and a line per connection).
        foreach (var a in new[] { "daemon", "--verbose", "--reuseaddr", $"--base-path={BasePath}", "--export-all", $"--port={Port}", "--listen=127.0.0.1", BasePath })
            info.ArgumentList.Add(a);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("Ready to rumble", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"git daemon exited with {process.ExitCode}"));
        process.Start();
        _process = process;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        bool listening;
        try
        {
            listening = ready.Task.Wait(TimeSpan.FromSeconds(60));
        }
        catch (AggregateException e)
        {
            throw e.InnerException!; // it exited
        }
        if (!listening) throw new TimeoutException("git daemon did not start listening");
    }

    /// <summary>Stops the daemon (its process id and the children it forked per connection).</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        finally
        {
            process.Dispose();
        }
    }

    public void Dispose() => Stop();
}

/// <summary>A TCP server on 127.0.0.1 that accepts connections and never answers: a remote that hangs.</summary>
public sealed class SilentServer : IDisposable
{
    private readonly TcpListener _listener;
    private readonly List<TcpClient> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SilentServer(int? port = null)
    {
        _listener = new TcpListener(IPAddress.Loopback, port ?? 0);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(async () =>
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_clients) _clients.Add(client);
                    _connected.TrySetResult();
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        });
    }

    public int Port { get; }

    /// <summary>Completes when the first connection is accepted: a client (git, a feed reader) is now waiting for an answer that never comes.</summary>
    public Task Connected => _connected.Task;

    /// <summary>How many connections were accepted (and left unanswered).</summary>
    public int Connections
    {
        get
        {
            lock (_clients) return _clients.Count;
        }
    }

    /// <summary>A nuget.config in <paramref name="folder"/> whose only feed is this server as a v3 index (a feed that hangs).</summary>
    public string WriteNuGetConfig(string folder) => Infrastructure.NuGetConfig.Write(folder, "silent", $"http://127.0.0.1:{Port}/v3/index.json");

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
            foreach (var c in _clients) c.Dispose();
    }
}
