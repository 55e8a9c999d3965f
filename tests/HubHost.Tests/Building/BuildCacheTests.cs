using HubHost.Building;
using HubHost.Storage;
using HubHost.Sources;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Building;

public sealed class BuildCacheTests
{
    private static void CopyHello(string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in new[] { "hubconf.csproj", "Hubconf.cs" })
            File.Copy(Path.Combine(RepoPaths.Sample("hello"), file), Path.Combine(to, file));
    }

    [Fact]
    public async Task Editing_a_local_repo_builds_and_loads_a_new_version_and_keeps_the_old_build()
    {
        using var temp = new TempDirectory();
        var repo = temp.Combine("hello");
        CopyHello(repo);
        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        var v1 = await client.OpenAsync(repo);
        Assert.Equal("hello, world.", await v1.InvokeAsync("greet"));

        var source = Path.Combine(repo, "Hubconf.cs");
        File.WriteAllText(source, File.ReadAllText(source).Replace("\"hello\"", "\"bonjour\""));
        var v2 = await client.OpenAsync(repo);
        Assert.NotEqual(v1.Version, v2.Version);
        Assert.NotEqual(v1.LoadContextName, v2.LoadContextName);
        Assert.Equal("bonjour, world.", await v2.InvokeAsync("greet"));
        Assert.Equal("hello, world.", await v1.InvokeAsync("greet")); // both versions live side by side
        Assert.Equal(2, Directory.GetDirectories(HubDirectories.Builds(client.HubDirectory)).Length);
        v1.Dispose();
        v2.Dispose();
    }

    [Fact]
    public async Task Build_output_and_obj_folders_in_a_local_repo_do_not_change_its_version()
    {
        using var temp = new TempDirectory();
        var repo = temp.Combine("hello");
        CopyHello(repo);
        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        var before = new LocalDirectorySource(repo).Resolve(rehash: false, default);
        Directory.CreateDirectory(Path.Combine(repo, "bin", "Debug"));
        File.WriteAllText(Path.Combine(repo, "bin", "Debug", "junk.dll"), "x");
        Directory.CreateDirectory(Path.Combine(repo, ".vs"));
        File.WriteAllText(Path.Combine(repo, ".vs", "state"), "x");
        var after = new LocalDirectorySource(repo).Resolve(rehash: false, default);
        Assert.Equal(before.ContentKey, after.ContentKey);
    }

    [Fact]
    public async Task A_half_written_build_folder_is_never_used_and_is_rebuilt()
    {
        using var temp = new TempDirectory();
        var repo = temp.Combine("hello");
        CopyHello(repo);
        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        var snapshot = new LocalDirectorySource(repo).Resolve(rehash: false, default);
        // What a build killed between writing its output and its record would look like if it wrote in place,
        // plus a temp folder left by a killed build.
        var final = Path.Combine(HubDirectories.Builds(client.HubDirectory), snapshot.LoadableKey);
        Directory.CreateDirectory(Path.Combine(final, "out"));
        File.WriteAllText(Path.Combine(final, "out", "hubconf.dll"), "truncated");
        var leftover = Path.Combine(HubDirectories.Builds(client.HubDirectory), ".tmp-" + snapshot.LoadableKey + "-dead");
        Directory.CreateDirectory(leftover);

        var loaded = await client.OpenAsync(repo);
        Assert.Equal("hello, world.", await loaded.InvokeAsync("greet"));
        Assert.True(File.Exists(Path.Combine(final, BuildRecord.FileName)));
        Assert.Equal(final, loaded.BuildDirectory);
        loaded.Dispose();
    }

    [Fact]
    public async Task Plugins_do_not_inherit_build_props_from_folders_above_the_hub_directory()
    {
        using var temp = new TempDirectory();
        // A hostile Directory.Build.props above the hub directory would break every build if it were inherited.
        File.WriteAllText(temp.Combine("Directory.Build.props"), "<Project><PropertyGroup><TargetFramework>net1.0-bogus</TargetFramework></PropertyGroup></Project>");
        File.WriteAllText(temp.Combine("Directory.Packages.props"), "<Project><PropertyGroup><ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally></PropertyGroup></Project>");
        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        var loaded = await client.OpenAsync(RepoPaths.Sample("json-v13"));
        Assert.Equal("13.0.0.0", await loaded.InvokeAsync("newtonsoft_version"));
        loaded.Dispose();
    }

    [Fact]
    public async Task The_build_key_depends_on_the_contracts_public_surface_not_on_how_the_host_was_built()
    {
        // HubHost.Contract built again, in Debug: other bits (another module id), the same surface.
        using var temp = new TempDirectory();
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.Copy(Path.Combine(RepoPaths.Root, file), temp.Combine(file));
        var source = Path.Combine(RepoPaths.Root, "src", "HubHost.Contract");
        Directory.CreateDirectory(temp.Combine("HubHost.Contract"));
        foreach (var file in Directory.EnumerateFiles(source, "*.cs*"))
            File.Copy(file, temp.Combine("HubHost.Contract", Path.GetFileName(file)));
        await Dotnet.RunAsync(temp.Path, "build", temp.Combine("HubHost.Contract", "HubHost.Contract.csproj"), "-c", "Debug", "-o", temp.Combine("debug"));
        var context = new System.Runtime.Loader.AssemblyLoadContext("debug-contract", isCollectible: true);
        context.Resolving += (_, name) => name.Name == "TorchSharp" ? typeof(TorchSharp.torch).Assembly : null;
        try
        {
            var debug = context.LoadFromAssemblyPath(temp.Combine("debug", "HubHost.Contract.dll"));
            var release = ContractPackages.Assemblies.Single();
            Assert.NotEqual(release.ManifestModule.ModuleVersionId, debug.ManifestModule.ModuleVersionId);
            Assert.Equal(ContractSurface.Hash(release), ContractSurface.Hash(debug));
            Assert.Equal(ContractPackages.ApiHash(release), ContractPackages.ApiHash(debug));
        }
        finally
        {
            context.Unload();
        }
        Assert.StartsWith(ContractPackages.ApiHash(ContractPackages.Assemblies.Single()), ContractPackages.Fingerprint);
    }

    [Fact]
    public void The_contract_records_the_hash_of_its_public_surface()
    {
        var contract = ContractPackages.Assemblies.Single();
        var surface = ContractSurface.Hash(contract);
        Assert.True(surface == ContractPackages.ApiHash(contract),
            $"HubHost.Contract's public surface changed: set <AssemblyMetadata Include=\"{ContractPackages.ApiHashMetadata}\" Value=\"{surface}\" /> in src/HubHost.Contract/HubHost.Contract.csproj (it records {ContractPackages.ApiHash(contract)}).");
    }
}
