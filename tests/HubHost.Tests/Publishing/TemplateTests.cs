using System.Security.Cryptography;
using System.Text.RegularExpressions;
using HubHost.Building;
using HubHost.Checkpoints;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Publishing;

/// <summary>
/// `dotnet new hubrepo` from the packed template: the repo it makes builds on its own (the contract from its feed/),
/// loads through the hub and passes `hubhost check` with its pretrained weights and golden output.
/// </summary>
[Collection(TemplateRepoCollection.Name)]
public sealed partial class TemplateTests(TemplateRepo template, ITestOutputHelper output)
{
    [Fact]
    public void The_new_repo_has_what_a_hub_repo_needs_and_its_name_where_it_belongs()
    {
        foreach (var file in new[] { "hubconf.csproj", "Hubconf.cs", "README.md", "hubconf.catalog.json", "nuget.config", ".gitignore",
                     ".github/workflows/hubhost.yml", "weights/digits_mlp.pt", "samples/digits.npy", "golden/digits_mlp.npy" })
            Assert.True(File.Exists(Path.Combine(template.Repo, file)), file);
        Assert.False(Directory.Exists(Path.Combine(template.Repo, ".template.config")));
        // The name as given where people read it; a C# identifier for the namespace.
        Assert.Contains("namespace my_models;", File.ReadAllText(Path.Combine(template.Repo, "Hubconf.cs")));
        Assert.Contains("hubhost list ./my-models", File.ReadAllText(Path.Combine(template.Repo, "README.md")));
        Assert.Contains("hubhost check . --pretrained --golden golden", File.ReadAllText(Path.Combine(template.Repo, ".github", "workflows", "hubhost.yml")));
    }

    [Fact]
    public void The_repo_builds_with_a_plain_dotnet_build_against_the_hosts_contract_from_its_own_feed()
    {
        var version = ContractPackages.PackageVersion(typeof(HubHost.Contract.IHubServices).Assembly);
        var csproj = File.ReadAllText(Path.Combine(template.Repo, "hubconf.csproj"));
        Assert.Equal(version, ContractReference().Match(csproj).Groups[1].Value);
        var feedPackage = Path.Combine(template.Repo, "feed", $"HubHost.Contract.{version}.nupkg");
        Assert.True(File.Exists(feedPackage), $"feed/ has no HubHost.Contract {version}: {string.Join(", ", Directory.GetFiles(Path.Combine(template.Repo, "feed")).Select(Path.GetFileName))}");
        Assert.True(File.Exists(Path.Combine(template.Repo, "bin", "Debug", "net10.0", "hubconf.dll")), template.BuildOutput);
        // Restored from feed/: the only source of HubHost.Contract this build had (its fallback folder leaves it out).
        var restored = Path.Combine(template.Packages, "hubhost.contract", version, $"hubhost.contract.{version}.nupkg.sha512");
        Assert.True(File.Exists(restored), "HubHost.Contract was not restored into the build's own packages folder");
        Assert.Equal(Convert.ToBase64String(SHA512.HashData(File.ReadAllBytes(feedPackage))), File.ReadAllText(restored).Trim());
        output.WriteLine($"dotnet new hubrepo + dotnet build: {template.NewToBuilt.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task The_new_repo_loads_through_the_hub_and_its_pretrained_model_reads_the_digits()
    {
        using var temp = new TempDirectory();
        var hub = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        var repo = await hub.OpenAsync(template.Repo);
        var entry = Assert.Single(repo.Entrypoints);
        Assert.Equal("digits_mlp", entry.Name);
        Assert.Equal("digits_mlp(bool pretrained = false, int hidden = 32) -> Sequential", entry.Signature);
        Assert.All(entry.Parameters, p => Assert.False(string.IsNullOrWhiteSpace(p.Description)));
        Assert.Equal("Digits MLP", repo.Cards.For("digits_mlp").Title);

        using var model = await hub.LoadAsync<nn.Module<Tensor, Tensor>>(template.Repo, "digits_mlp", new { pretrained = true });
        Assert.True(model.training);
        model.eval();
        using var _ = no_grad();
        using var logits = model.forward(Npy.Load(Path.Combine(template.Repo, "samples", "digits.npy")));
        Assert.Equal([1L, 7, 4, 6, 3, 1, 3, 9, 1, 7, 6, 8], logits.argmax(1).data<long>().ToArray());
        repo.Dispose();
    }

    [Fact]
    public async Task Hubhost_check_passes_on_the_new_repo_with_its_pretrained_weights_and_golden_output()
    {
        var result = await CliRunner.RunAsync(["check", "--pretrained", "--golden", "golden"],
            new Dictionary<string, string?> { ["HUBHOST_HOME"] = template.HubHome }, workingDirectory: template.Repo);
        output.WriteLine(result.Stdout);
        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        Assert.DoesNotContain("error:", result.Stderr);
        Assert.Contains("  ok    digits_mlp  defaults; example input [12, 64] -> [12, 10]; pretrained; golden (max abs difference", result.Stdout);
        Assert.EndsWith(". is ready.", result.Stdout.TrimEnd());
    }

    [GeneratedRegex("""<PackageReference Include="HubHost.Contract" Version="([^"]+)" />""")]
    private static partial Regex ContractReference();
}
