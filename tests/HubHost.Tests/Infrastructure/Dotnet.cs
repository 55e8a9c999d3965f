using HubHost.Processes;

namespace HubHost.Tests.Infrastructure;

/// <summary>Runs the .NET SDK (`dotnet build`, `dotnet pack`) from a test, without the MSBuild state of the test host.</summary>
public static class Dotnet
{
    public static async Task<string> RunAsync(string workingDirectory, params string[] args)
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(k => k, _ => (string?)null);
        var result = await ChildProcess.RunAsync(DotnetHost.Path, [.. args, "-nologo", "-v:q", "-nodeReuse:false", "-p:UseSharedCompilation=false"],
            workingDirectory, environment, TimeSpan.FromMinutes(5), CancellationToken.None);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{result.CombinedOutput}");
        return result.CombinedOutput;
    }
}
