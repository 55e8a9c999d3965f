using System.Diagnostics;

namespace HubHost.Tests.Infrastructure;

/// <summary>Runs the real `hubhost` CLI (HubHost.Cli.dll next to the tests) as a child process.</summary>
public static class CliRunner
{
    public static string CliDll { get; } = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static async Task<Result> RunAsync(string hubHome, IEnumerable<string> args, IDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["HUBHOST_HOME"] = hubHome;
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        if (environment is not null)
            foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
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
            throw new TimeoutException($"hubhost {string.Join(' ', args)} did not finish in time.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The hub home (HUBHOST_HOME) whose hub folder is <paramref name="hubDirectory"/>.</summary>
    public static string HomeOf(string hubDirectory) => Path.GetDirectoryName(hubDirectory)!;
}
