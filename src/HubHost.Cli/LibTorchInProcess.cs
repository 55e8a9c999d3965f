using System.Runtime.InteropServices;
using HubHost.Native;

namespace HubHost.Cli;

/// <summary>
/// libtorch's two costs in a short `hubhost` process, both paid outside the command's work (docs/design.md, "Start-up"):
/// <list type="bullet">
/// <item>Loading it takes ~250 ms. The commands that always need it (<c>run</c>, <c>compare</c>) start the load on a pool
/// thread before the command line is parsed, so it overlaps parsing and opening the repo; the command's first tensor waits
/// for it. A failed load is not lost: the command's own <see cref="TorchNative.EnsureLoaded"/> call tries again and reports it.</item>
/// <item>Ending a process that loaded it runs libtorch's static destructors (its operator registry): ~100–120 ms of one core
/// after the output is written, measured with strace. Once the command has finished and its output is flushed, such a
/// process ends with <c>_exit</c>, which skips them.</item>
/// </list>
/// What <c>_exit</c> also skips, and why that loses nothing: the runtime's shutdown (which runs no finalizers and waits for no
/// background thread anyway), <c>AppDomain.ProcessExit</c> handlers (the CLI registers none; the server's host has stopped by
/// then) and C stdio buffers (flushed first). It is not used after the trust prompt read the terminal: .NET restores the
/// terminal's settings in an exit handler.
/// </summary>
internal static partial class LibTorchInProcess
{
    private static volatile bool _loadStarted;
    private static volatile bool _terminalRead;

    /// <summary>The commands that always load libtorch: their load starts before the command line is parsed.</summary>
    public static bool AlwaysNeededBy(string command) => command is "run" or "compare";

    /// <summary>Starts loading libtorch on a pool thread.</summary>
    public static void LoadInBackground()
    {
        _loadStarted = true;
        _ = Task.Run(static () =>
        {
            try
            {
                TorchNative.EnsureLoaded();
            }
            catch (HubException)
            {
                // Reported where it matters: the command's own EnsureLoaded call tries again and fails with this message.
            }
        });
    }

    /// <summary>Marks that the process read the terminal (the trust prompt), so it ends the normal way.</summary>
    public static void TerminalWasRead() => _terminalRead = true;

    /// <summary>
    /// Ends the process now with <paramref name="exitCode"/> when libtorch is loaded (or being loaded) and the terminal was not
    /// read, on Linux and macOS; otherwise returns, and the process ends the normal way.
    /// </summary>
    public static void EndProcess(int exitCode)
    {
        if (OperatingSystem.IsWindows() || _terminalRead || !(_loadStarted || TorchNative.IsLoaded)) return;
        StartupTrace.Mark("exit, libtorch's teardown skipped");
        Console.Out.Flush();
        Console.Error.Flush();
        _ = FlushAllStdio(IntPtr.Zero);
        ExitNow(exitCode);
    }

    [LibraryImport("libc", EntryPoint = "fflush")]
    private static partial int FlushAllStdio(IntPtr stream);

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void ExitNow(int status);
}
