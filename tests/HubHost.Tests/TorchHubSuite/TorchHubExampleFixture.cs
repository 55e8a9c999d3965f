using System.IO.Compression;
using HubHost.Tests.Downloads;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.TorchHubSuite;

/// <summary>
/// The world PyTorch's own hub tests (test/test_hub.py) run against, on loopback: <c>ailzhang/torchhub_example</c> as a
/// served git repo <c>hubs/torchhub_example</c> (default branch master, a branch ci/test_slash, entrypoints mnist,
/// mnist_zip and mnist_zip_1_6 whose weights are published as "GitHub release assets" on an HTTP server on 127.0.0.1),
/// a tiny repo <c>hubs/vision_main</c> whose default branch is main and which has a stranger's fork commit, and one hub
/// directory where each commit is built once. The weights are real PyTorch files (tests/fixtures/checkpoints:
/// module_state_dict.pt in the zip format of torch ≥ 1.6, module_state_dict_legacy.pt in the legacy format, served
/// zipped as torch's mnist_zip is). Tests that need an untouched trusted list use <see cref="Alias"/>: another URL of the
/// same repo, so trust starts empty while builds are shared.
/// </summary>
public sealed class TorchHubExampleFixture : IDisposable
{
    private readonly TempDirectory _root = new("hubhost-torchhub");

    public TorchHubExampleFixture()
    {
        Http = new LoopbackHttpServer();
        Http.Serve("/releases/download/0.1/mnist_init_ones", File.ReadAllBytes(RepoPaths.Fixture("checkpoints", "module_state_dict.pt")));
        Http.Serve("/releases/download/0.1/mnist_zip_1_6_init_ones", File.ReadAllBytes(RepoPaths.Fixture("checkpoints", "module_state_dict.pt")));
        Http.Serve("/releases/download/0.1/mnist_init_ones.zip", LegacyZip());

        Example = new GitTestRepo(_root.Path, "torchhub_example");
        MasterCommit = Example.Commit("master", ExampleFiles(ReleaseUrl), "torchhub_example");
        Example.Push(MasterCommit, "master");
        Example.Push(MasterCommit, "ci/test_slash");
        GitTestRepo.Git(Example.BarePath, "symbolic-ref", "HEAD", "refs/heads/master"); // as torchhub_example: master, not main

        VisionMain = new GitTestRepo(_root.Path, "vision_main");
        MainCommit = VisionMain.Commit("main", GitFixture.HubFiles("main"), "main");
        VisionMain.Push(MainCommit, "main");
        ForkCommit = VisionMain.Commit("fork-work", GitFixture.HubFiles("fork"), "a stranger's fork", from: MainCommit);
        GitTestRepo.Git(VisionMain.WorkDirectory, "push", "--quiet", "--force", VisionMain.BarePath, $"{ForkCommit}:refs/forks/stranger");
        GitTestRepo.Git(VisionMain.BarePath, "config", "uploadpack.allowAnySHA1InWant", "true");
    }

    public LoopbackHttpServer Http { get; }

    public GitTestRepo Example { get; }

    public GitTestRepo VisionMain { get; }

    public string MasterCommit { get; }

    public string MainCommit { get; }

    /// <summary>A commit of vision_main that no branch or tag reaches.</summary>
    public string ForkCommit { get; }

    public string ReleaseUrl => Http.Url("/releases/download/0.1/mnist_init_ones");

    /// <summary>The hub directory every client of the suite shares (each commit built once).</summary>
    public string HubDirectory => _root.Combine("hub");

    public string BaseUrl => "file://" + Example.ServeRoot + "/";

    /// <summary>A client over the shared hub that asks <paramref name="prompt"/> (none: nobody can be asked).</summary>
    public HubClient Client(Func<string, bool>? prompt = null, IList<string>? trustedOwners = null)
        => new(new HubOptions { HubDirectory = HubDirectory, GitBaseUrl = BaseUrl, TrustedOwners = trustedOwners ?? [], GitNetworkTimeout = TimeSpan.FromSeconds(30) },
            trustPrompt: TestTrustPrompt.From(prompt));

    /// <summary>Another name for a served repo (a symbolic link to its bare repo): its own trust entry, the same commits and builds.</summary>
    public string Alias(GitTestRepo repo, string name)
    {
        var link = Path.Combine(repo.ServeRoot, "hubs", name + ".git");
        if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, repo.BarePath);
        return "hubs/" + name;
    }

    /// <summary>The sum of every value of the published weights (torch's SUM_OF_HUB_EXAMPLE for this example).</summary>
    public static double SumOfWeights()
    {
        HubHost.Native.TorchNative.EnsureLoaded();
        var stateDict = HubHost.Checkpoints.Checkpoint.Load(RepoPaths.Fixture("checkpoints", "module_state_dict.pt"));
        var sum = stateDict.Values.Sum(t => t.sum().item<float>());
        foreach (var t in stateDict.Values) t.Dispose();
        return sum;
    }

    /// <summary>A zip holding one legacy-format torch.save file, as torch's mnist_zip release asset.</summary>
    private static byte[] LegacyZip()
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = zip.CreateEntry("mnist_init_ones").Open())
            entry.Write(File.ReadAllBytes(RepoPaths.Fixture("checkpoints", "module_state_dict_legacy.pt")));
        return memory.ToArray();
    }

    /// <summary>torchhub_example's hubconf in C#: Sequential(Linear(4, 3), ReLU(), Linear(3, 2)) with weights from its releases.</summary>
    private static Dictionary<string, string> ExampleFiles(string releaseUrl) => new()
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
            using TorchSharp;
            using static TorchSharp.torch;

            /// <summary>torchhub_example for .NET: a tiny classifier with weights published as release assets.</summary>
            public static class Hubconf
            {
                private static nn.Module<Tensor, Tensor> Net(bool pretrained, string url)
                {
                    var model = nn.Sequential(("0", nn.Linear(4, 3)), ("1", nn.ReLU()), ("2", nn.Linear(3, 2)));
                    if (pretrained) model.load_state_dict(HubHost.Contract.HubServices.For(typeof(Hubconf)).LoadStateDictFromUrl(url, checkHash: false, progress: false), strict: true);
                    return model;
                }

                /// <summary>The classifier (torchhub_example's mnist).</summary>
                /// <param name="pretrained">Load the published weights.</param>
                public static nn.Module<Tensor, Tensor> mnist(bool pretrained = false) => Net(pretrained, "{{releaseUrl}}");

                /// <summary>The classifier with weights published as a zip holding a legacy torch.save file (torch &lt; 1.6).</summary>
                /// <param name="pretrained">Load the published weights.</param>
                public static nn.Module<Tensor, Tensor> mnist_zip(bool pretrained = false) => Net(pretrained, "{{releaseUrl}}.zip");

                /// <summary>The classifier with weights in torch.save's zip format (torch &gt;= 1.6).</summary>
                /// <param name="pretrained">Load the published weights.</param>
                public static nn.Module<Tensor, Tensor> mnist_zip_1_6(bool pretrained = false) => Net(pretrained, "{{releaseUrl.Replace("mnist_init_ones", "mnist_zip_1_6_init_ones")}}");
            }
            """,
    };

    public void Dispose()
    {
        Http.Dispose();
        _root.Dispose();
    }
}
