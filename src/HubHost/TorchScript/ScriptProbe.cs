using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using HubHost.Processes;
using HubHost.Storage;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace HubHost.TorchScript;

/// <summary>
/// Loads a TorchScript archive once in a child process before the hub loads it in its own, so that what the archive
/// check (<see cref="ArchiveCheck"/>) cannot see — code that does not compile, code that runs forever while loading —
/// ends or hangs that child and becomes one <see cref="HubException"/>, never the host's end.
/// </summary>
/// <remarks>
/// <para>
/// libtorch compiles an archive's code/ while it loads it, and reports a compile error (an undefined name, a type
/// mismatch, an op newer than this libtorch) as <c>torch::jit::ErrorReport</c>, a C++ exception TorchSharp 0.107's
/// native layer does not catch: the process aborts. It also runs the archive's <c>__setstate__</c> methods, which may
/// never return. Only libtorch can tell, so the hub asks it where failing costs nothing: <c>dotnet exec</c> of
/// HubHost.ScriptProbe.dll (src/HubHost.ScriptProbe, shipped beside HubHost.dll) with the host app's deps.json (and, for a
/// self-contained host, its runtimeconfig.json, so the child runs on the host's own runtime), which
/// sets up libtorch with <see cref="Native.TorchNative"/> and runs <c>torch.jit.load</c>; the child runs under
/// <see cref="ChildProcess"/> (killed by its process id on the time limit or cancellation, and when the host dies).
/// </para>
/// <para>
/// A passed probe is recorded under <c>&lt;hub&gt;/torchscript/probed/&lt;sha256 of the archive&gt;.json</c>, with
/// the TorchSharp and libtorch versions it passed under (another version probes again), written atomically; a failed
/// one records nothing. So each archive is probed once per hub directory: later loads cost its SHA-256. What the probe
/// does not cover: <c>forward</c> code that loops or crashes when the model is called.
/// </para>
/// </remarks>
internal sealed class ScriptProbe(string hubDirectory, TimeSpan timeout, ILogger logger, TimeProvider time)
{
    /// <summary>The probe program's file name, beside HubHost.dll.</summary>
    public const string ProgramFileName = "HubHost.ScriptProbe.dll";

    private const string Marker = "hubhost-probe: ";

    private int _probesStarted;

    /// <summary>How many child processes this probe started (tests prove a recorded archive starts none).</summary>
    public int ProbesStarted => Volatile.Read(ref _probesStarted);

    /// <summary>The libtorch this process uses, as people name it (2.10).</summary>
    public static string LibTorchVersion { get; } = string.Join('.', torch.__version__.Split('.').Take(2));

    private static string TorchSharpVersion => typeof(torch).Assembly.GetName().Version?.ToString() ?? "";

    /// <summary>The record of a passed probe of the archive whose SHA-256 is <paramref name="sha256"/>.</summary>
    public string RecordPath(string sha256) => Path.Combine(HubDirectories.ScriptProbes(hubDirectory), sha256 + ".json");

    /// <summary>
    /// Returns once libtorch loaded the archive at <paramref name="path"/> in a child process, now or in an earlier
    /// probe recorded by its SHA-256; else throws the one error saying what went wrong there and what to do.
    /// </summary>
    /// <exception cref="HubException">The child could not load the archive, died, or did not finish in time.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the child was killed.</exception>
    public void EnsureLoads(string path, CancellationToken cancellationToken)
    {
        var sha256 = Hash(path, cancellationToken);
        var record = RecordPath(sha256);
        if (Passed(record)) return;
        Run(path, cancellationToken);
        try
        {
            AtomicFile.Write(record, stream =>
            {
                using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                json.WriteStartObject();
                json.WriteString("sha256", sha256);
                json.WriteString("torchSharp", TorchSharpVersion);
                json.WriteString("libtorch", torch.__version__);
                json.WriteString("probed", DateTimeOffset.UtcNow);
                json.WriteEndObject();
            }, flushToDisk: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The archive loaded; without the record the next load probes it again.
            logger.LogWarning("Could not record the TorchScript probe of {Path} in {Record}: {Reason}", path, record, e.Message);
        }
    }

    /// <summary>Whether a record of a passed probe under this TorchSharp and libtorch is there.</summary>
    private static bool Passed(string record)
        => JsonRecords.ReadFlatObject(record) is { } values
           && JsonRecords.Text(values, "torchSharp") == TorchSharpVersion
           && JsonRecords.Text(values, "libtorch") == torch.__version__;

    private static string Hash(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return Convert.ToHexStringLower(SHA256.HashDataAsync(stream, cancellationToken).AsTask().GetAwaiter().GetResult());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"The TorchScript archive '{path}' cannot be read: {e.Message}", e);
        }
    }

    private void Run(string path, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(typeof(ScriptProbe).Assembly.Location);
        var program = string.IsNullOrEmpty(folder) ? null : Path.Combine(folder, ProgramFileName);
        var runtimeConfig = program is null ? null : Path.ChangeExtension(program, ".runtimeconfig.json");
        if (program is null || !File.Exists(program) || !File.Exists(runtimeConfig))
            throw new HubException(
                $"Not loading the TorchScript archive {path}: the hub loads an archive only after {ProgramFileName} has loaded it in a child process, " +
                $"and that program is not beside HubHost.dll{(string.IsNullOrEmpty(folder) ? " (HubHost.dll is not a file: a single-file app)" : $" in {folder}")}. " +
                "Build or publish the app again as a regular (not single-file) app: HubHost's project and package copy the program and its runtimeconfig.json into the app's output.");
        // The host app's deps.json (the first of the app's deps files) names the assemblies and native libraries the probe
        // shares with it; its paths are relative to its folder, which must be the probe's.
        var deps = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (deps is not null && !(File.Exists(deps) && Path.GetDirectoryName(Path.GetFullPath(deps)) == Path.GetFullPath(folder!))) deps = null;
        // A self-contained host (its runtime, CoreLib first, in its own folder) has a runtimeconfig.json without frameworks:
        // with it the probe runs on the host's own runtime and framework too. With the probe's own runtimeconfig.json it
        // would take the host's runtime (its deps.json lists libcoreclr.so) but the installed shared framework's assemblies,
        // a mix that holds only while both are the same patch version.
        if (deps is not null && deps.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase)
            && Path.GetDirectoryName(typeof(object).Assembly.Location) is { Length: > 0 } runtimeFolder
            && Path.GetFullPath(runtimeFolder) == Path.GetFullPath(folder!)
            && deps[..^".deps.json".Length] + ".runtimeconfig.json" is var hostConfig && File.Exists(hostConfig))
            runtimeConfig = hostConfig;
        var arguments = new List<string> { "exec", "--runtimeconfig", runtimeConfig! };
        if (deps is not null)
        {
            arguments.Add("--depsfile");
            arguments.Add(deps);
        }
        arguments.Add(program);
        arguments.Add(path);

        logger.LogDebug("Loading the TorchScript archive {Path} in a child process first ({Program})", path, program);
        Interlocked.Increment(ref _probesStarted);
        ProcessResult result;
        try
        {
            result = ChildProcess.RunAsync(DotnetHost.Path, arguments, null, null, timeout, cancellationToken, time).GetAwaiter().GetResult();
        }
        catch (TimeoutException e)
        {
            throw new HubException(
                $"Loading the TorchScript archive {path} did not finish in {timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s: libtorch loaded it in a child process first, which was stopped. " +
                "Its code may loop forever while it loads (a __setstate__ method): do not use this archive, or save it again without that code; " +
                "if it is only slow, allow more time with HUBHOST_SCRIPT_PROBE_TIMEOUT (seconds) or HubOptions.ScriptProbeTimeout.", e);
        }
        var report = result.StandardOutput.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal))?[Marker.Length..];
        if (result.ExitCode == 0 && report == "loaded") return;
        if (report?.StartsWith("refused: ", StringComparison.Ordinal) == true)
            throw ScriptArchive.NotLoaded(path, report["refused: ".Length..]);
        if (report?.StartsWith("setup: ", StringComparison.Ordinal) == true)
            throw new HubException($"Not loading the TorchScript archive {path}: the child process that loads it first could not set up libtorch: {report["setup: ".Length..]}");
        throw Died(path, result);
    }

    /// <summary>The error for a probe that ended without a report: libtorch aborted it (a compile error, another C++ exception) or it crashed.</summary>
    private static HubException Died(string path, ProcessResult result)
    {
        var what = LibTorchMessage(result.StandardError);
        if (result.StandardError.Contains("torch::jit::ErrorReport", StringComparison.Ordinal))
            return new HubException(
                $"The TorchScript code in {path} does not compile under libtorch {LibTorchVersion} ({what ?? "libtorch gave no reason"}). " +
                $"The archive was saved by a torch whose code libtorch {LibTorchVersion} does not read (such as an op newer than it), or its code/ was changed after torch.jit.save: " +
                $"save the model again with torch.jit.save (of torch.jit.script or torch.jit.trace) from a torch no newer than {LibTorchVersion}. " +
                "(libtorch reports this in a way that ends the process, so the hub loads every archive in a child process first.)");
        var how = result.ExitCode > 128 ? $"signal {result.ExitCode - 128}{SignalName(result.ExitCode - 128)}" : $"exit code {result.ExitCode}";
        var why = what ?? result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return new HubException(
            $"libtorch {LibTorchVersion} crashed loading the TorchScript archive {path} in the child process that loads it first ({how}{(why is null ? "" : $": {why.TrimEnd('.')}")}): " +
            "the archive is damaged or not one this libtorch reads. Save the model again with torch.jit.save (of torch.jit.script or torch.jit.trace).");
    }

    /// <summary>The first line of what libtorch's uncaught exception said (std::terminate's "what():"), or null.</summary>
    private static string? LibTorchMessage(string standardError)
    {
        var at = standardError.IndexOf("what():", StringComparison.Ordinal);
        return at < 0
            ? null
            : standardError[(at + "what():".Length)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault()?.TrimEnd('.');
    }

    private static string SignalName(int signal) => signal switch
    {
        4 => " (SIGILL)",
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        8 => " (SIGFPE)",
        9 => " (SIGKILL: out of memory?)",
        11 => " (SIGSEGV)",
        _ => "",
    };
}
