using System.Diagnostics;
using HubHost.Processes;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Publishing;

/// <summary>
/// A hub repo made as a new publisher makes one, once per test run: the template package packed from src/HubHost.Templates,
/// installed into a template hive of its own (never the user's), <c>dotnet new hubrepo -n my-models</c>, then a plain
/// <c>dotnet build</c> in it with a NuGet packages folder of its own whose only fallback is the user's packages without
/// HubHost.Contract, so the contract can come from nowhere but the repo's feed/.
/// </summary>
public sealed class TemplateRepo : IAsyncLifetime
{
    private readonly TempDirectory _temp = new("hubhost-template");

    public const string Name = "my-models";

    /// <summary>The new repo.</summary>
    public string Repo => _temp.Combine("repos", Name);

    /// <summary>The NuGet packages folder (NUGET_PACKAGES) of the repo's own build.</summary>
    public string Packages => _temp.Combine("nuget-packages");

    /// <summary>The template package.</summary>
    public string Package { get; private set; } = "";

    /// <summary>The hive the template was installed into.</summary>
    public string Hive => _temp.Combine("hive");

    /// <summary>What `dotnet build` printed.</summary>
    public string BuildOutput { get; private set; } = "";

    /// <summary>A hub home for CLI runs against the repo (HUBHOST_HOME).</summary>
    public string HubHome => _temp.Combine("home");

    public TimeSpan NewToBuilt { get; private set; }

    public async Task InitializeAsync()
    {
        var pack = await PackedPackage.PackAsync("HubHost.Templates", _temp.Combine("pack"));
        Package = Directory.GetFiles(pack.Folder, "HubHost.Templates.*.nupkg").Single();
        await Dotnet.RunCommandAsync(_temp.Path, "new", "install", Package, "--debug:custom-hive", Hive);
        Directory.CreateDirectory(_temp.Combine("repos"));
        var watch = Stopwatch.StartNew();
        await Dotnet.RunCommandAsync(_temp.Combine("repos"), "new", "hubrepo", "-n", Name, "--debug:custom-hive", Hive);

        // The user's packages (TorchSharp and what it needs, already restored) as a read-only fallback, minus HubHost.Contract.
        var fallback = _temp.Combine("fallback");
        Directory.CreateDirectory(fallback);
        var user = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set ? set : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (Directory.Exists(user))
            foreach (var package in Directory.EnumerateDirectories(user).Where(d => Path.GetFileName(d) != "hubhost.contract"))
                Directory.CreateSymbolicLink(Path.Combine(fallback, Path.GetFileName(package)), package);
        var environment = Dotnet.Environment(new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Packages, ["NUGET_FALLBACK_PACKAGES"] = fallback });
        var result = await ChildProcess.RunAsync(DotnetHost.Path, ["build", "-nodeReuse:false", "-p:UseSharedCompilation=false"], Repo, environment, TimeSpan.FromMinutes(5), CancellationToken.None);
        BuildOutput = result.CombinedOutput;
        Assert.True(result.ExitCode == 0, "dotnet build of the new repo failed:\n" + BuildOutput);
        NewToBuilt = watch.Elapsed;
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class TemplateRepoCollection : ICollectionFixture<TemplateRepo>
{
    public const string Name = "template repo";
}
