using HubHost.Tests.Downloads;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Locking;

/// <summary>
/// Shared by the lock tests (each commit is built once per run): real git repos served over file:// under one base URL (so
/// <c>hubs/NAME</c> is an owner/name), one hub directory, and a loopback HTTP server publishing weights written by real PyTorch.
/// <c>hubs/weights</c> fetches weights through its hub services (TorchSharp and HubHost.Contract, compile-only); the other repos
/// have no dependencies and build in seconds.
/// </summary>
public sealed class LockFixture : IDisposable
{
    private readonly TempDirectory _root = new("hubhost-lock");

    public LockFixture()
    {
        Weights = new GitTestRepo(_root.Path, "weights");
        WeightsCommit = Weights.Commit("main", WeightsRepoFiles("w1"), "weights 1");
        Weights.Push(WeightsCommit, "main");
        Server = new LoopbackHttpServer();
    }

    public string Root => _root.Path;

    public string HubDirectory => _root.Combine("home", "hub");

    public string HubHome => _root.Combine("home");

    public string BaseFileUrl => "file://" + _root.Combine("srv") + "/";

    /// <summary><c>hubs/weights</c>: <c>weights(url)</c> loads a state dict from a URL through <c>HubServices</c>.</summary>
    public GitTestRepo Weights { get; }

    public string WeightsCommit { get; }

    public LoopbackHttpServer Server { get; }

    /// <summary>A state dict written by torch.save (PyTorch 1.13).</summary>
    public static byte[] DigitsBytes { get; } = File.ReadAllBytes(RepoPaths.Fixture("pytorch", "digits_mlp.pt"));

    /// <summary>Other weights, for a file that changed behind its URL.</summary>
    public static byte[] OtherBytes { get; } = File.ReadAllBytes(RepoPaths.Fixture("pytorch", "squeezenet1_1.pt"));

    public static HubLoadOptions Trusted { get; } = new() { TrustRepo = TrustRepo.Trust };

    /// <summary>A client over the fixture's hub (or another) with owner/name on the served folder.</summary>
    public HubClient NewClient(string? hubDirectory = null, bool offline = false)
        => new(new HubOptions { HubDirectory = hubDirectory ?? HubDirectory, GitBaseUrl = BaseFileUrl, GitNetworkTimeout = TimeSpan.FromSeconds(20), Offline = offline });

    /// <summary>A repo with no dependencies whose <c>hello()</c> says <paramref name="label"/>.</summary>
    public GitTestRepo NewPlainRepo(string name, string label, out string commit)
    {
        var repo = new GitTestRepo(_root.Path, name);
        commit = repo.Commit("main", GitFixture.HubFiles(label), label);
        repo.Push(commit, "main");
        return repo;
    }

    public static Dictionary<string, string> WeightsRepoFiles(string label) => new()
    {
        ["hubconf.csproj"] = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TorchSharp" Version="0.107.0" />
                <PackageReference Include="HubHost.Contract" Version="0.2.0" />
              </ItemGroup>
            </Project>
            """,
        ["Hubconf.cs"] = $$"""
            using HubHost.Contract;

            namespace LockDemo;

            public static class Hubconf
            {
                /// <summary>Says which version this is.</summary>
                public static string hello() => "{{label}}";

                /// <summary>Loads the state dict at a URL through the hub (cached, and checked under a lock) and counts its tensors.</summary>
                public static string weights(string url)
                {
                    var stateDict = HubServices.For(typeof(Hubconf)).LoadStateDictFromUrl(url, checkHash: false);
                    var count = stateDict.Count;
                    foreach (var tensor in stateDict.Values) tensor.Dispose();
                    return "{{label}}: " + count + " tensors";
                }

                /// <summary>Loads the TorchScript archive at a URL through the hub (the same cache and lock rules) and names it.</summary>
                public static string archive(string url)
                {
                    using var module = HubServices.For(typeof(Hubconf)).LoadScriptFromUrl<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>(url, checkHash: false);
                    return "{{label}}: a script module";
                }
            }
            """,
    };

    /// <summary>The CLI with this fixture's hub home and git base.</summary>
    public async Task<CliResult> RunCliAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["HUBHOST_HOME"] = HubHome, ["HUBHOST_GIT_BASE_URL"] = BaseFileUrl, ["HUBHOST_GIT_TIMEOUT"] = "20", ["HUBHOST_OFFLINE"] = null, ["GITHUB_TOKEN"] = null,
        };
        if (environment is not null)
            foreach (var (k, v) in environment) all[k] = v;
        var result = await CliRunner.RunAsync(args, all, TimeSpan.FromMinutes(3), workingDirectory);
        return new CliResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    public void Dispose()
    {
        Server.Dispose();
        _root.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class LockCollection : ICollectionFixture<LockFixture>
{
    public const string Name = "locks";
}
