using System.IO.Compression;
using System.Text.Json;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// The CI half of issue 12 through the real CLI: <c>hubhost pack owner/name:TAG</c> of a served git repo derives the
/// package id and version from the repo and records where it came from; the package then loads by <c>nuget:</c> on a
/// host that cannot build.
/// </summary>
public sealed class PackCommandTests
{
    [Fact]
    public async Task Pack_of_a_git_tag_derives_id_and_version_records_the_commit_and_loads_on_a_host_without_builds()
    {
        using var root = new TempDirectory("hubhost-pack");
        var repo = new GitTestRepo(root.Path, "greeter");
        var commit = repo.Commit("main", new Dictionary<string, string>
        {
            ["hubconf.csproj"] = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net10.0</TargetFramework>\n  </PropertyGroup>\n</Project>\n",
            ["Hubconf.cs"] = "public static class Hubconf\n{\n    /// <summary>Greets.</summary>\n    public static string greet(string name = \"world\") => \"packed \" + name;\n}\n",
            ["weights/readme.txt"] = "shipped with the repo\n",
        }, "greeter");
        repo.Push(commit, "main");
        repo.PushTag("v1.2.0", commit, annotated: true);
        var baseUrl = "file://" + repo.ServeRoot + "/";
        var output = root.Combine("out");

        var ci = new Dictionary<string, string?> { ["HUBHOST_HOME"] = root.Combine("ci"), ["HUBHOST_GIT_BASE_URL"] = baseUrl };
        var pack = await CliRunner.RunAsync(["pack", "hubs/greeter:v1.2.0", "-o", output, "--trust-repo", "--json"], ci);
        Assert.True(pack.ExitCode == 0, pack.Stderr);
        using var result = JsonDocument.Parse(pack.Stdout);
        Assert.Equal("hubs.greeter", result.RootElement.GetProperty("id").GetString());
        Assert.Equal("1.2.0", result.RootElement.GetProperty("version").GetString());
        var nupkg = Path.Combine(output, "hubs.greeter.1.2.0.nupkg");
        Assert.Equal(nupkg, result.RootElement.GetProperty("path").GetString());
        using (var zip = ZipFile.OpenRead(nupkg))
        {
            using var manifest = JsonDocument.Parse(zip.GetEntry("hubhost.json")!.Open());
            Assert.Equal(commit, manifest.RootElement.GetProperty("commit").GetString());
            Assert.Equal("v1.2.0", manifest.RootElement.GetProperty("ref").GetString());
            Assert.Equal(baseUrl + "hubs/greeter.git", manifest.RootElement.GetProperty("source").GetString());
            Assert.Equal("greet(string name = \"world\") -> string", manifest.RootElement.GetProperty("entrypoints")[0].GetProperty("signature").GetString());
            using var nuspec = new StreamReader(zip.GetEntry("hubs.greeter.nuspec")!.Open());
            Assert.Contains($"commit=\"{commit}\"", nuspec.ReadToEnd());
            Assert.NotNull(zip.GetEntry("hub/repo/weights/readme.txt"));
        }

        var feed = root.Combine("feed");
        Directory.CreateDirectory(feed);
        NuGetFeedFixture.Push(nupkg, feed);
        var server = root.Combine("server");
        Directory.CreateDirectory(server);
        File.WriteAllText(Path.Combine(server, "nuget.config"), $"<configuration><packageSources><clear /><add key=\"ci\" value=\"{feed}\" /></packageSources></configuration>");
        var fleet = new Dictionary<string, string?> { ["HUBHOST_HOME"] = root.Combine("server-home"), ["HUBHOST_NO_BUILD"] = "1" };
        var load = await CliRunner.RunAsync(["load", "nuget:hubs.greeter", "greet", "--arg", "name=fleet", "--trust-repo"], fleet, workingDirectory: server);
        Assert.True(load.ExitCode == 0, load.Stderr);
        Assert.Contains("packed fleet", load.Stdout);
        Assert.Contains("repo:         nuget:hubs.greeter (1.2.0)", load.Stdout);

        // A package is packed already: one clear error.
        var again = await CliRunner.RunAsync(["pack", "nuget:hubs.greeter", "-o", output], fleet, workingDirectory: server);
        Assert.Equal(1, again.ExitCode);
        Assert.Single(again.Stderr.Split('\n'), l => l.StartsWith("error: nuget:hubs.greeter is a package already", StringComparison.Ordinal));
    }
}
