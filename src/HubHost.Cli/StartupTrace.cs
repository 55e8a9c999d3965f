using System.Diagnostics;

namespace HubHost.Cli;

/// <summary>
/// Start-up phases on stderr, for finding where a fresh process's first load goes (<c>HUBHOST_TRACE_STARTUP=1</c> turns it on;
/// off, a mark costs one field read). The marks are the command line's: the library shows no internals to it, so the finer
/// phases in docs/design.md ("Start-up") were measured with marks placed in the pipeline for the measurement. Each line: milliseconds since the process started, since the previous
/// mark, and the phase that just ended, with the methods JIT-compiled and the assemblies loaded since the previous mark.
/// Not synchronised: a diagnostic for one command's start, not for concurrent loads.
/// </summary>
internal static class StartupTrace
{
    private static long _last;
    private static long _jitted;
    private static TimeSpan _jitTime;
    private static int _assemblies;
    private static bool _names;

    /// <summary>Whether marks are written (set once, before the first mark, by the host that wants them).</summary>
    public static bool Enabled { get; private set; }

    /// <summary>Turns the marks on for <c>HUBHOST_TRACE_STARTUP=1</c>; <c>=names</c> also lists the assemblies each phase loaded.</summary>
    public static void Configure(string? setting)
    {
        Enabled = setting is "1" or "true" or "names";
        _names = setting is "names";
    }

    /// <summary>Writes one line for the phase that just ended.</summary>
    public static void Mark(string phase)
    {
        if (!Enabled) return;
        var now = Stopwatch.GetTimestamp();
        var sinceStart = (DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds;
        var sinceLast = _last == 0 ? 0 : Stopwatch.GetElapsedTime(_last, now).TotalMilliseconds;
        _last = now;
        var jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTime = System.Runtime.JitInfo.GetCompilationTime();
        var loaded = AppDomain.CurrentDomain.GetAssemblies();
        var assemblies = loaded.Length;
        Console.Error.WriteLine($"[startup] {sinceStart,7:0.0} ms  +{sinceLast,6:0.0} ms  {phase,-34} jit +{jitted - _jitted,4} methods {(jitTime - _jitTime).TotalMilliseconds,5:0.0} ms, assemblies +{assemblies - _assemblies}");
        if (_names && assemblies > _assemblies)
            Console.Error.WriteLine($"[startup:assemblies] {string.Join(", ", loaded[_assemblies..].Select(a => a.GetName().Name))}");
        _jitted = jitted;
        _jitTime = jitTime;
        _assemblies = assemblies;
    }
}
