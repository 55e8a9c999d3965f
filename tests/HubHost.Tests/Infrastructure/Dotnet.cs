using HubHost.Processes;

namespace HubHost.Tests.Infrastructure;

/// <summary>Runs the .NET SDK (`dotnet build`, `dotnet pack`, `dotnet tool install`) from a test, without the MSBuild state of the test host.</summary>
public static class Dotnet
{
    /// <summary>An MSBuild command (`build`, `pack`): quiet, no node reuse, no compiler server.</summary>
    public static Task<string> RunAsync(string workingDirectory, params string[] args)
        => RunAsync(workingDirectory, TimeSpan.FromMinutes(5), args);

    /// <summary>An MSBuild command allowed <paramref name="timeout"/> (the tool's pack compiles the whole framework ReadyToRun).</summary>
    public static Task<string> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args)
        => RunCommandAsync(workingDirectory, timeout, [.. args, "-nologo", "-v:q", "-nodeReuse:false", "-p:UseSharedCompilation=false"]);

    /// <summary>`dotnet ARGS` exactly as given, for commands that take no MSBuild options (`dotnet tool install`).</summary>
    public static Task<string> RunCommandAsync(string workingDirectory, params string[] args)
        => RunCommandAsync(workingDirectory, TimeSpan.FromMinutes(5), args);

    private static async Task<string> RunCommandAsync(string workingDirectory, TimeSpan timeout, string[] args)
    {
        var result = await ChildProcess.RunAsync(DotnetHost.Path, args, workingDirectory, Environment(), timeout, CancellationToken.None);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{result.CombinedOutput}");
        return result.CombinedOutput;
    }

    /// <summary>Changes to this process's environment for a child: the test host's MSBuild and VSTest variables removed, then <paramref name="set"/> applied.</summary>
    public static Dictionary<string, string?> Environment(IReadOnlyDictionary<string, string?>? set = null)
    {
        var environment = System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(k => k, _ => (string?)null);
        foreach (var (k, v) in set ?? new Dictionary<string, string?>()) environment[k] = v;
        return environment;
    }
}
