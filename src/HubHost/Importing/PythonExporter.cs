using System.Text.Json;
using HubHost.Processes;
using Microsoft.Extensions.Logging;

namespace HubHost.Importing;

/// <summary>
/// Runs the Python half of an import (hub_import.py, embedded in HubHost.dll) with the user's interpreter: it loads each
/// entrypoint with torch.hub.load(source='local'), exports it to TorchScript, and saves the archive with the example
/// inputs and PyTorch's outputs into a work folder. Every failure is one <see cref="HubException"/> saying what to do.
/// </summary>
internal static class PythonExporter
{
    /// <summary>Longest a Python export may run (loading, scripting and saving a large model takes minutes, not hours).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);

    public const string ScriptResource = "HubHost.hub_import.py";

    public static async Task<PythonResult> RunAsync(string python, PythonRequest request, ILogger logger, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(python))
            throw new HubException("--python is empty: give the Python interpreter that has torch, e.g. --python /usr/bin/python3.");
        Directory.CreateDirectory(request.OutDir);
        var script = Path.Combine(request.OutDir, "hub_import.py");
        await using (var source = typeof(PythonExporter).Assembly.GetManifestResourceStream(ScriptResource)
                                  ?? throw new InvalidOperationException($"{ScriptResource} is not embedded in HubHost.dll."))
        await using (var target = File.Create(script))
            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        var requestPath = Path.Combine(request.OutDir, "request.json");
        await File.WriteAllBytesAsync(requestPath, JsonSerializer.SerializeToUtf8Bytes(request, ImportJson.Default.PythonRequest), cancellationToken).ConfigureAwait(false);

        // No __pycache__ written into the repo (a git checkout in the hub cache never changes), output unbuffered.
        var environment = new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONUNBUFFERED"] = "1" };
        logger.LogInformation("Exporting {Entries} with {Python}", string.Join(", ", request.Entries), python);
        ProcessResult run;
        try
        {
            run = await ChildProcess.RunAsync(python, [script, requestPath], request.OutDir, environment, Timeout, cancellationToken, time).ConfigureAwait(false);
        }
        catch (HubException e) when (e.Message.StartsWith("Could not start", StringComparison.Ordinal))
        {
            throw new HubException($"Could not start the Python interpreter '{python}': it was not found. hubhost import runs PyTorch to export the models: " +
                                   "install Python 3 with PyTorch (Debian/Ubuntu: apt-get install python3-torch) or give its path with --python /usr/bin/python3.", e);
        }
        catch (TimeoutException e)
        {
            throw new HubException($"Exporting {string.Join(", ", request.Entries)} with {python} took longer than {Timeout.TotalMinutes:0} minutes and was stopped.", e);
        }
        foreach (var line in run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            logger.LogDebug("python: {Line}", line.TrimEnd());

        var resultPath = Path.Combine(request.OutDir, "result.json");
        PythonResult? result = null;
        if (File.Exists(resultPath))
        {
            try
            {
                result = JsonSerializer.Deserialize(await File.ReadAllBytesAsync(resultPath, cancellationToken).ConfigureAwait(false), ImportJson.Default.PythonResult);
            }
            catch (JsonException)
            {
                result = null;
            }
        }
        if (result is null)
        {
            var last = run.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
            throw new HubException($"'{python}' stopped (exit code {run.ExitCode}) before it exported anything: {last}. " +
                                   "hubhost import needs Python 3 with PyTorch and numpy; give one with --python /usr/bin/python3, and see --verbose for its output.");
        }
        if (result.Error is { } error)
        {
            throw result.Kind switch
            {
                "no-torch" => new HubException($"The Python interpreter '{python}' has no PyTorch ({error}). Install it (Debian/Ubuntu: apt-get install python3-torch; " +
                                               "elsewhere: pip install torch numpy), or give a Python that has it with --python, e.g. --python /usr/bin/python3."),
                "unexpected" => new HubException($"Exporting with {python} failed: {error.TrimEnd('.')}. Run with --verbose to see Python's traceback."),
                _ => new HubException(error.TrimEnd('.') + "."),
            };
        }
        if (result.Entries.Count != request.Entries.Count)
            throw new HubException($"'{python}' exported {result.Entries.Count} of the {request.Entries.Count} entrypoints asked for; run with --verbose to see its output.");
        return result;
    }
}
