using System.Diagnostics;

namespace HubHost.Tests.Infrastructure;

/// <summary>Runs the real `hubhost` CLI (HubHost.Cli.dll next to the tests) as a child process.</summary>
public static class CliRunner
{
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// `dotnet HubHost.Cli.dll ARGS` with every stream redirected, without the MSBuild/VSTest state of the test
    /// host, and with <paramref name="environment"/> applied (a null value removes the variable).
    /// </summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        info.ArgumentList.Add(CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                if (v is null) info.Environment.Remove(k);
                else info.Environment[k] = v;
            }
        }
        return info;
    }

    /// <summary>Starts the CLI with its standard input closed (so it never waits on a prompt).</summary>
    public static Process Start(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var process = Process.Start(StartInfo(args, environment, workingDirectory))!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs the CLI to completion (killed after <paramref name="timeout"/>, default 3 minutes), in <paramref name="workingDirectory"/> if given.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        var list = args.ToList();
        using var process = Start(list, environment, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"hubhost {string.Join(' ', list)} did not finish in time.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs the CLI with HUBHOST_HOME set to <paramref name="hubHome"/>.</summary>
    public static Task<Result> RunAsync(string hubHome, IEnumerable<string> args)
        => RunAsync(args, new Dictionary<string, string?> { ["HUBHOST_HOME"] = hubHome });

    /// <summary>The hub home (HUBHOST_HOME) whose hub folder is <paramref name="hubDirectory"/>.</summary>
    public static string HomeOf(string hubDirectory) => Path.GetDirectoryName(hubDirectory)!;
}
