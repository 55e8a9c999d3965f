using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Building;

/// <summary>
/// Least privilege for builds: a repo's MSBuild code runs without the hub's secrets (GITHUB_TOKEN and friends,
/// anything named like a credential, the ssh agent, git config from the environment), but with NuGet's
/// credentials, which restoring its packages needs.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class BuildEnvironmentTests(SharedHub hub)
{
    private static readonly string[] Removed =
    [
        "GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "MY_SERVICE_API_TOKEN", "AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY",
        "DB_PASSWORD", "SSH_AUTH_SOCK", "GIT_ASKPASS", "GIT_CONFIG_COUNT", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0",
    ];

    private static readonly string[] Kept = ["NUGET_AUTH_TOKEN", "NuGetPackageSourceCredentials_private", "HUBHOST_TEST_PLAIN"];

    [Fact]
    public async Task A_build_sees_no_secret_of_the_hub_but_keeps_nugets_credentials()
    {
        using var folder = new TempDirectory("hubhost-env");
        var leak = folder.Combine("leak.txt");
        var repo = folder.Combine("repo");
        Directory.CreateDirectory(repo);
        foreach (var (name, content) in GitFixture.HubFiles("env")) File.WriteAllText(Path.Combine(repo, name), content);
        var lines = string.Join(";", Removed.Concat(Kept).Select(v => $"{v}=$({v})"));
        // What a malicious repo does: write the build's environment where it can pick it up.
        File.WriteAllText(Path.Combine(repo, "hubconf.csproj"), $$"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <Target Name="Leak" BeforeTargets="Build">
                <WriteLinesToFile File="{{leak}}" Lines="{{lines}}" Overwrite="true" />
              </Target>
            </Project>
            """);
        var environment = Removed.Concat(Kept).ToDictionary(v => v, v => (string?)("value-of-" + v));
        environment["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory);
        var result = await CliRunner.RunAsync(["load", repo, "hello"], environment);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.StartsWith("env world", result.Stdout);

        var seen = File.ReadAllLines(leak).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        foreach (var name in Removed) Assert.True(seen[name] == "", $"the build saw {name}");
        foreach (var name in Kept) Assert.Equal("value-of-" + name, seen[name]);
    }
}
