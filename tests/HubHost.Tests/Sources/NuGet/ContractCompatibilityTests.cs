using HubHost.Contract;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Sources.NuGet;

/// <summary>
/// Issue 16.1: the contract keeps loading repos built against the previous version, proven for real. The package in
/// tests/fixtures/contract-0.1 was packed by the hubhost of commit c009378 (HubHost.Contract 0.1.0; its README says how);
/// today's host loads it from a folder feed filled by <c>dotnet nuget push</c> and calls its entrypoints.
/// </summary>
public sealed class ContractCompatibilityTests
{
    private const string Package = "HubFixture.Contract01.1.0.0.nupkg";

    [Fact]
    public async Task A_package_built_against_contract_0_1_loads_and_its_entrypoints_use_the_hub_services()
    {
        using var root = new TempDirectory("hubhost-contract01");
        var feed = root.Combine("feed");
        Directory.CreateDirectory(feed);
        NuGetFeedFixture.Push(RepoPaths.Fixture("contract-0.1", Package), feed);
        var config = root.Combine("nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="feed" value="{feed}" /></packageSources></configuration>
            """);
        var client = new HubClient(new HubOptions { HubDirectory = root.Combine("hub"), NuGetConfigFile = config });
        var repo = await client.OpenAsync("nuget:HubFixture.Contract01@1.0.0", new HubLoadOptions { TrustRepo = TrustRepo.Trust });
        try
        {
            Assert.Equal(0, client.BuildsStarted); // the old build, as packed: nothing rebuilt against today's contract
            // It runs with the host's contract (shared by simple name), a newer one than it was compiled against.
            var running = (string)(await repo.InvokeAsync("contract_version"))!;
            Assert.Equal(typeof(IHubServices).Assembly.GetName().Version!.ToString(), running);
            Assert.True(Version.Parse(running) > new Version(0, 1, 0, 0), running);

            var directory = (string)(await repo.InvokeAsync("repo_directory"))!;
            Assert.True(File.Exists(Path.Combine(directory, "linear.pt")), directory);
            Assert.Equal(["bias", "weight"], (string[])(await repo.InvokeAsync("shipped_tensors"))!);

            // The repo's model run by today's public runner (RunModelAsync, as `hubhost run --weights` does), with the weights
            // file it ships loaded into it; expected: x·Wᵀ + b from the same file.
            var weightsFile = Path.Combine(directory, "linear.pt");
            var weights = HubHost.Checkpoints.Checkpoint.Read(weightsFile);
            using var x = arange(8, dtype: ScalarType.Float32).reshape(2, 4) / 8;
            using var output = await client.RunModelAsync(repo, "linear", [x], weights: weightsFile);
            using var expected = x.matmul(weights["weight"].t()) + weights["bias"];
            TorchAssert.Close(expected, output.Output, 1e-6);
            Assert.Equal(weights.Values.Sum(t => t.numel()), output.Run.Parameters);
            Assert.Equal([2L, weights["weight"].shape[0]], output.Run.OutputShape);
            Assert.Equal((repo.Name, repo.Version), (output.Run.Repo, output.Run.Version));
            Assert.Equal("output", output.OutputDescription);
            Assert.Empty(output.OutputKeys);

            // A class the repo wrote against 0.1's three members loads as today's interface; the 0.2 members answer
            // with their default bodies.
            var own = Assert.IsAssignableFrom<IHubServices>(await repo.InvokeAsync("own_services"));
            Assert.Equal("/fixed", own.RepoDirectory);
            var e = Assert.Throws<NotSupportedException>(() => own.LoadScript<Tensor, Tensor>("model.pt"));
            Assert.Contains("contract 0.1", e.Message);
        }
        finally
        {
            repo.Dispose();
        }
    }
}
