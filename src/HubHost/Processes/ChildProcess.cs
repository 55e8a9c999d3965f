using System.Diagnostics;
using System.Text;

namespace HubHost.Processes;

/// <summary>The outcome of a finished child process.</summary>
internal sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Both streams, stdout first.</summary>
    public string CombinedOutput => StandardOutput + StandardError;
}

/// <summary>
/// Runs a child process (dotnet, git) with arguments passed as a list (never through a shell), an adjusted
/// environment, a bounded run time and cancellation; on either, the whole process tree is killed.
/// </summary>
/// <remarks>
/// <para>
/// A child must not outlive a hub that is killed (kill -9, the OOM killer). Process.Start offers no
/// prctl(PR_SET_PDEATHSIG), so on Linux the child is started as <c>setsid -w /bin/sh -c WATCHDOG</c>: a session
/// and process group of its own (setsid does not fork here, so the pid the hub waits on becomes the command, and
/// its exit code is the command's). The script keeps its standard input, a pipe whose only writer is the hub,
/// for a watcher subshell in the same group, gives the command /dev/null instead, and execs it (the command and
/// its arguments are positional parameters, never parsed by the shell). When the child exits the hub writes one
/// line to the pipe and the watcher leaves quietly. When the hub dies first, the kernel closes the pipe: the
/// watcher reads end-of-file at once and sends SIGTERM to the whole group (dotnet build with its MSBuild nodes
/// and the tools it runs; git with its helpers), then SIGKILL once the command has exited or 2 s have passed. The watcher ignores
/// SIGTERM, SIGINT and SIGHUP and lives outside the hub's process group, so a signal to the hub's group (Ctrl+C,
/// a job's SIGTERM, even SIGKILL) does not take it away before it has done its work.
/// Bound: the group is gone within <see cref="OrphanBound"/> of the hub's death; measured 0.01 s for a hanging
/// git ls-remote and 0.15 s for a dotnet build (SIGTERM sufficed) in ChildProcessWatchdogTests, which kill -9 a
/// real CLI.
/// </para>
/// <para>
/// The hub's own locks are released by the kernel when it dies (its files are opened close-on-exec, so no child
/// holds them): a later run never waits for an orphan, and never takes an orphan's output for complete, because
/// builds and clones are published by a rename only the dead hub would have made. A git killed inside a mirror
/// leaves *.lock files, which the next fetch removes once they are older than <see cref="OrphanBound"/>.
/// </para>
/// <para>
/// Without setsid (macOS) the same script watches only the command's own pid; on Windows the child starts
/// directly, without this guarantee.
/// </para>
/// </remarks>
internal static class ChildProcess
{
    /// <summary>How long after the hub's death its children may still run, at most: the watcher's 2 s between SIGTERM and SIGKILL, plus slack.</summary>
    public static readonly TimeSpan OrphanBound = TimeSpan.FromSeconds(3);

    /// <summary>
    /// <c>sh -c WATCHDOG hubhost-child group|self COMMAND ARGS...</c>. The pipe is kept as fd 3 first because sh
    /// gives an asynchronous list /dev/null as its standard input; the watcher's output goes to /dev/null so it
    /// holds none of the hub's output pipes. "group" (under setsid) signals the process group (kill 0: the
    /// command, its descendants and the watcher, which ignores the SIGTERM); "self" signals the command's pid.
    /// After SIGTERM the watcher waits for the command ($$ in the subshell) to exit (a zombie counts as exited:
    /// its parent, the hub, is gone, and not every init reaps at once), at most 2 s, then sends SIGKILL to what is
    /// left (and itself).
    /// </summary>
    private const string Watchdog = """
        exec 3<&0
        t=0; [ "$1" = group ] || t=$$
        shift
        ( trap '' TERM INT HUP
          IFS= read -r line <&3 && exit 0
          kill -TERM "$t"; i=0
          while [ $i -lt 20 ] && kill -0 $$; do
            case "$(cat /proc/$$/stat 2>/dev/null)" in *") Z "*) break;; esac
            sleep 0.1; i=$((i+1))
          done
          kill -KILL "$t" ) </dev/null >/dev/null 2>&1 &
        exec "$@" </dev/null 3<&-
        """;

    private static readonly bool UseWatchdog = !OperatingSystem.IsWindows() && File.Exists("/bin/sh");

    private static readonly string? Setsid = OperatingSystem.IsLinux() ? Find("setsid") : null;

    /// <summary>The path of <paramref name="fileName"/>: itself when it names a file, else the first match on PATH; null when missing.</summary>
    private static string? Find(string fileName)
    {
        if (fileName.Contains('/')) return File.Exists(fileName) ? fileName : null;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, fileName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory,
        IReadOnlyDictionary<string, string?>? environment,
        TimeSpan timeout,
        CancellationToken cancellationToken,
        TimeProvider? time = null)
    {
        var info = new ProcessStartInfo(UseWatchdog ? Setsid ?? "/bin/sh" : fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (UseWatchdog)
        {
            // The shell would report a missing program only as exit code 127: look for it first, as Process.Start does.
            if (Find(fileName) is null)
                throw new HubException($"Could not start '{fileName}': it was not found. Make sure it is installed and on PATH.");
            if (Setsid is not null)
            {
                info.ArgumentList.Add("-w"); // should setsid have to fork, it still waits and passes the exit code on
                info.ArgumentList.Add("/bin/sh");
            }
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(Watchdog);
            info.ArgumentList.Add("hubhost-child"); // $0
            info.ArgumentList.Add(Setsid is not null ? "group" : "self");
            info.ArgumentList.Add(fileName);
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null) info.Environment.Remove(key);
                else info.Environment[key] = value;
            }
        }

        using var process = new Process { StartInfo = info };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        // The time limit runs from the start, on the hub's clock (TimeProvider).
        using var deadline = new CancellationTokenSource(timeout, time ?? TimeProvider.System);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new HubException($"Could not start '{fileName}': {e.Message}. Make sure it is installed and on PATH.", e);
        }
        // With the watchdog, standard input stays open until the child has exited: end-of-file without a line tells
        // the watcher that the hub died (the child itself reads /dev/null). Without it, the child gets end-of-file now.
        if (!UseWatchdog) process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* already exited */ }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"'{Path.GetFileName(fileName)}' did not finish within {timeout.TotalSeconds:0} s and was stopped.");
        }
        finally
        {
            if (UseWatchdog)
            {
                try
                {
                    if (process.HasExited) process.StandardInput.WriteLine(); // "done": the watcher leaves quietly
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // the watcher is gone (killed with the tree)
                }
            }
        }
        string outText, errText;
        lock (stdout) outText = stdout.ToString();
        lock (stderr) errText = stderr.ToString();
        return new ProcessResult(process.ExitCode, outText, errText);
    }
}
