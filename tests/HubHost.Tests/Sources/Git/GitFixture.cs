using System.Diagnostics;
using HubHost.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Sources.Git;

/// <summary>
/// Shared by every git test (builds cost seconds, so each commit is built once): a served hub repo with
/// branches main and v2, an annotated tag, a slash branch, a branch without a hub, a broken commit; a git daemon
/// on 127.0.0.1; and one hub directory. Its clients' <see cref="HubOptions.GitBaseUrl"/> (and its CLI runs'
/// <c>HUBHOST_GIT_BASE_URL</c>) point at the served folder over file://, so <c>hubs/demo</c> is an owner/name.
/// </summary>
public sealed class GitFixture : IDisposable
{
    public GitFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), $"hubhost-git-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
        HubHome = Path.Combine(Root, "home");
        HubDirectory = Path.Combine(HubHome, "hub");

        Repo = new GitTestRepo(Root, "demo");
        Main1 = Repo.Commit("main", HubFiles("main-1"), "main 1");
        V2 = Repo.Commit("v2", HubFiles("v2"), "v2", from: Main1);
        NoHub = Repo.Commit("nohub", new Dictionary<string, string> { ["README.md"] = "not a hub\n" }, "no hub");
        Broken = Repo.Commit("broken", BrokenFiles(), "does not compile", from: Main1);
        Repo.Push(Main1, "main");
        Repo.Push(V2, "v2");
        Repo.Push(V2, "feature/x");
        Repo.Push(NoHub, "nohub");
        Repo.PushTag("v1.0", Main1, annotated: true);
        Daemon = new GitDaemon(Repo.ServeRoot);
        Hub = NewClient();
    }

    public string Root { get; }

    public string HubHome { get; }

    public string HubDirectory { get; }

    public GitTestRepo Repo { get; }

    public GitDaemon Daemon { get; }

    public HubClient Hub { get; }

    public string Main1 { get; }

    public string V2 { get; }

    public string NoHub { get; }

    public string Broken { get; }

    public string BaseFileUrl => "file://" + Path.Combine(Root, "srv") + "/";

    public static HubLoadOptions Trusted { get; } = new() { TrustRepo = TrustRepo.Trust };

    public static HubLoadOptions TrustedForce { get; } = new() { TrustRepo = TrustRepo.Trust, ForceReload = true };

    public HubClient NewClient(Func<string, bool>? prompt = null, string? hubDirectory = null, TimeProvider? timeProvider = null)
        => new(Options(hubDirectory), trustPrompt: TestTrustPrompt.From(prompt), timeProvider: timeProvider);

    /// <summary>The options of this fixture's clients: its hub directory, owner/name on the served folder, 20 s git timeouts.</summary>
    public HubOptions Options(string? hubDirectory = null)
        => new() { HubDirectory = hubDirectory ?? HubDirectory, GitBaseUrl = BaseFileUrl, GitNetworkTimeout = TimeSpan.FromSeconds(20) };

    /// <summary>Another URL for the same served repo (a symlink), so a test gets its own mirror and trust entry while commits (and builds) are shared.</summary>
    public string Alias(string name)
    {
        var link = Path.Combine(Root, "srv", "hubs", name + ".git");
        if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, Repo.BarePath);
        return "hubs/" + name;
    }

    /// <summary>A tiny hub repo: no dependencies, builds in about 3 s.</summary>
    public static Dictionary<string, string> HubFiles(string label) => new()
    {
        ["hubconf.csproj"] = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
            </Project>
            """,
        ["Hubconf.cs"] = $$"""
            namespace Demo;

            /// <summary>A value whose type lives in the repo's own assembly (so holding it holds the context).</summary>
            public sealed class DemoModel
            {
                public string Label => "{{label}}";
                public override string ToString() => "DemoModel " + Label;
            }

            public static class Hubconf
            {
                /// <summary>Says hello from this version.</summary>
                public static string hello(string name = "world") => "{{label}} " + name;

                /// <summary>A model from this version.</summary>
                public static object model() => new DemoModel();
            }
            """,
    };

    private static Dictionary<string, string> BrokenFiles()
    {
        var files = HubFiles("broken");
        files["Hubconf.cs"] = "namespace Demo; public static class Hubconf { public static string hello() => \"x\" }";
        return files;
    }

    /// <summary>This fixture's CLI environment: its hub home and git base, a short git timeout, no offline flag or token.</summary>
    private Dictionary<string, string?> CliEnvironment(string? hubHome, IDictionary<string, string?>? environment)
    {
        var all = new Dictionary<string, string?>
        {
            ["HUBHOST_HOME"] = hubHome ?? HubHome,
            ["HUBHOST_GIT_BASE_URL"] = BaseFileUrl,
            ["HUBHOST_GIT_TIMEOUT"] = "20",
            ["HUBHOST_OFFLINE"] = null,
            ["GITHUB_TOKEN"] = null,
        };
        if (environment is not null)
            foreach (var (k, v) in environment) all[k] = v;
        return all;
    }

    /// <summary>Starts the real CLI with this fixture's environment.</summary>
    public Process StartCli(IEnumerable<string> args, string? hubHome = null, IDictionary<string, string?>? environment = null)
        => CliRunner.Start(args, CliEnvironment(hubHome, environment));

    public async Task<CliResult> RunCliAsync(IEnumerable<string> args, string? hubHome = null, IDictionary<string, string?>? environment = null, int timeoutSeconds = 180, string? workingDirectory = null)
    {
        var result = await CliRunner.RunAsync(args, CliEnvironment(hubHome, environment), TimeSpan.FromSeconds(timeoutSeconds), workingDirectory);
        return new CliResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>Every file under the hub directory except lock files (which exist by design), with sizes: "the cache is unchanged" is this being equal.</summary>
    public static string Snapshot(string hubDirectory)
    {
        if (!Directory.Exists(hubDirectory)) return "";
        return string.Join("\n", Directory.EnumerateFileSystemEntries(hubDirectory, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains("/locks", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(hubDirectory, p) + (File.Exists(p) ? ":" + new FileInfo(p).Length : "/"))
            .Order(StringComparer.Ordinal));
    }

    public void Dispose()
    {
        foreach (var loaded in Hub.Loaded) loaded.Dispose();
        Daemon.Dispose();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

[CollectionDefinition(Name)]
public sealed class GitCollection : ICollectionFixture<GitFixture>
{
    public const string Name = "git";
}
