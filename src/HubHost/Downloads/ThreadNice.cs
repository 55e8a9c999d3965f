using System.Runtime.InteropServices;

namespace HubHost.Downloads;

/// <summary>
/// Lowers the priority (raises the nice value) of the calling thread on Linux, where each thread has its own
/// (setpriority with a thread id). A download's receiving thread does this so its hashing thread, the critical
/// path, gets the CPU first when the cores are busy: on 2 cores, 256 MB over loopback, median 0.253 s against
/// 0.272 s at load ~1 (35 runs each) and 0.51 s against 0.57 s at load 8 (15 runs; bench: download). The thread
/// is the download's own and ends with the attempt (no continuation runs on it), so nothing else runs at the
/// lowered priority; an unprivileged thread could not raise it back. Elsewhere, or if a call fails, nothing happens.
/// </summary>
internal static partial class ThreadNice
{
    /// <summary>How much nicer the receiving thread is than the thread that started it.</summary>
    public const int ReceiveIncrement = 5;

    private const int PrioProcess = 0;

    public static void LowerCurrentThread(int increment)
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            var tid = GetTid();
            Marshal.SetLastPInvokeError(0);
            var current = GetPriority(PrioProcess, tid);
            if (current == -1 && Marshal.GetLastPInvokeError() != 0) return;
            SetPriority(PrioProcess, tid, Math.Min(19, current + increment));
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // An old libc without gettid: the thread keeps its priority.
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);
}
