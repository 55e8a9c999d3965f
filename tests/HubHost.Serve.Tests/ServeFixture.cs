using HubHost.Serve;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Serve.Tests;

/// <summary>
/// One server for the test run, on 127.0.0.1 with a free port, over one hub directory where every repo is built
/// once: plugins-sample's repos, a hostile local repo, a trusted local git repo with three refs, and a git repo that
/// is never trusted. Started before the first test and stopped after the last.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    private readonly TempDirectory _home = new("hubhost-serve");

    public string HubDirectory => _home.Combine("hub");

    public string HostileRepo => _home.Combine("hostile");

    public GitTestRepo Versions { get; private set; } = null!;

    public GitTestRepo Untrusted { get; private set; } = null!;

    /// <summary>The commit of the versions repo's <c>live</c> branch when the server started.</summary>
    public string LiveCommit { get; private set; } = "";

    internal ServeHost Host { get; private set; } = null!;

    /// <summary>Two releases' lock files shown at /locks.</summary>
    public IReadOnlyList<string> LockFiles { get; private set; } = [];

    public string BaseUrl { get; private set; } = "";

    public HttpClient Http { get; } = new();

    public static readonly string[] Samples = ["hello", "json-v12", "json-v13", "vision"];

    public async Task InitializeAsync()
    {
        HostileFixture.Write(HostileRepo);
        Versions = new GitTestRepo(_home.Combine("git"), "versions");
        Versions.Push(Versions.Commit("v1", VersionsRepo.Files(defaultTimes: 1, v2: false), "v1"), "v1");
        Versions.Push(Versions.Commit("v2", VersionsRepo.Files(defaultTimes: 3, v2: true), "v2"), "v2");
        LiveCommit = Versions.Commit("live", VersionsRepo.Files(defaultTimes: 1, v2: false, marker: "live one"), "live");
        Versions.Push(LiveCommit, "live");
        Untrusted = new GitTestRepo(_home.Combine("git"), "untrusted");
        Untrusted.Push(Untrusted.Commit("main", VersionsRepo.Files(defaultTimes: 1, v2: false), "main"), "main");

        // Trust the versions repo the way a user does (recorded once it resolved); the server's own hub never trusts.
        var setup = new HubClient(new HubOptions { HubDirectory = HubDirectory });
        (await setup.OpenAsync(Versions.FileUrl + "#v1", new HubLoadOptions { TrustRepo = TrustRepo.Trust })).Dispose();

        var repos = Samples.Select(RepoPaths.Sample).Append(HostileRepo)
            .Concat(new[] { "v1", "v2", "live" }.Select(r => Versions.FileUrl + "#" + r))
            .Append(Untrusted.FileUrl + "#main")
            .ToList();
        var hub = new HubClient(new HubOptions { HubDirectory = HubDirectory });
        LockFiles = LockFilesFixture.Write(_home.Combine("locks"));
        Host = ServeHost.Create(hub, new ServeOptions { Repos = repos, Urls = ["http://127.0.0.1:0"], RefreshInterval = null, Locks = LockFiles });
        await Host.StartAsync();
        BaseUrl = Host.Addresses.Single().TrimEnd('/');
        await Host.Catalog.RefreshAsync(force: false); // joins the first load started by StartAsync
        var failed = Host.Catalog.Repos.SelectMany(r => r.Refs.Select(s => (r, s))).Where(x => x.s.Status == RefStatus.Failed).ToList();
        if (failed.Count > 0) throw new InvalidOperationException("Repos failed to open: " + string.Join("; ", failed.Select(f => $"{f.s.LoadText}: {f.s.Error}")));
    }

    internal CatalogRepo Repo(string nameEnd) => Host.Catalog.Repos.Single(r => r.Name.EndsWith(nameEnd, StringComparison.Ordinal));

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        _home.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServeCollection : ICollectionFixture<ServeFixture>
{
    public const string Name = "serve";
}

/// <summary>A local git repo whose refs differ: v2 changes greet's default (times 1 → 3), adds shout, removes wave, edits a doc.</summary>
internal static class VersionsRepo
{
    /// <summary>A tiny local hub repo in <paramref name="folder"/> (greet; with <paramref name="extra"/> also added).</summary>
    public static void WriteTiny(string folder, bool extra)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "hubconf.csproj"), Files(1, false)["hubconf.csproj"]);
        File.WriteAllText(Path.Combine(folder, "Hubconf.cs"), $$"""
            namespace Tiny;

            /// <summary>A tiny repo.</summary>
            public static class Hubconf
            {
                /// <summary>Greets.</summary>
                public static string greet(string name = "world") => "hi " + name;
            {{(extra ? "\n    /// <summary>Added later.</summary>\n    public static string added() => \"new\";\n" : "")}}
            }
            """);
    }


    public static Dictionary<string, string> Files(int defaultTimes, bool v2, string marker = "") => new()
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
        ["README.md"] = $"# versions\n\nA repo with refs that differ. {marker}\n",
        ["docs/card.png"] = "not really a png, served as one",
        ["hubconf.catalog.json"] = """{ "image": "docs/card.png", "entrypoints": { "count": { "image": "../outside.png" } } }""",
        ["Hubconf.cs"] = $$"""
            namespace Versions;

            /// <summary>Entrypoints that change between refs.</summary>
            public static class Hubconf
            {
                /// <summary>Greets someone{{(v2 ? ", several times by default" : "")}}.</summary>
                /// <param name="name">Who to greet.</param>
                /// <param name="times">How many times.</param>
                public static string greet(string name = "world", int times = {{defaultTimes}}) => string.Join(" ", Enumerable.Repeat("hi " + name, times));

                /// <summary>Counts.</summary>
                public static int count(int upTo = 10) => upTo;
            {{(v2
                ? "\n    /// <summary>Shouts (new in v2).</summary>\n    public static string shout(string text = \"hey\") => text.ToUpperInvariant();\n"
                : "\n    /// <summary>Waves (gone in v2).</summary>\n    public static string wave() => \"o/\";\n")}}
            }
            """,
    };
}

/// <summary>A local repo whose every string tries to inject markup: doc comments, a default value, metadata, README.</summary>
internal static class HostileFixture
{
    public const string Script = "<script>window.pwned=1</script>";

    /// <summary>The file the hostile repo's code writes when it runs (named per fixture folder).</summary>
    public static string Canary(string folder) => Path.Combine(Path.GetTempPath(), $"hubhost-serve-canary-{Path.GetFileName(Path.GetDirectoryName(folder))}");

    public static void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "hubconf.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <GenerateDocumentationFile>true</GenerateDocumentationFile>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Hubconf.cs"), """
            namespace Hostile;

            /// <summary>Hostile strings.</summary>
            public static class Hubconf
            {
                // Runs if anything touches the class: the server never should (it reads doc comments, calls nothing).
                static Hubconf() => File.WriteAllText(Path.Combine(Path.GetTempPath(), "CANARY"), "the server ran repo code");

                /// <summary>Looks harmless &lt;script&gt;window.pwned=1&lt;/script&gt; &lt;img src=x onerror="window.pwned=2"&gt;</summary>
                /// <param name="label">A label &lt;b onmouseover="window.pwned=3"&gt;bold&lt;/b&gt;</param>
                /// <remarks>&lt;iframe src="javascript:window.pwned=4"&gt;&lt;/iframe&gt;</remarks>
                public static string inject(string label = "\"><script>window.pwned=5</script>") { File.WriteAllText(Path.Combine(Path.GetTempPath(), "CANARY"), "called"); return label; }
            }
            """.Replace("CANARY", Path.GetFileName(Canary(folder))));
        File.WriteAllText(Path.Combine(folder, "README.md"), """
            # hostile

            <script>window.pwned=6</script>

            [click me](javascript:window.pwned=7) and <img src=x onerror="window.pwned=8">
            """);
        File.WriteAllText(Path.Combine(folder, "hubconf.catalog.json"), """
            { "title": "<img src=x onerror=\"window.pwned=9\">Hostile", "category": "<b>cat</b>", "tags": ["<script>window.pwned=10</script>"],
              "paper": "javascript:window.pwned=11", "image": "../../etc/passwd.png" }
            """);
    }
}
