using System.Runtime.CompilerServices;
using HubHost.Contract;
using TorchSharp;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Loading;

[Collection(SharedHubCollection.Name)]
public sealed class IsolationTests(SharedHub hub)
{
    [Fact]
    public async Task Two_repos_whose_assemblies_share_a_name_load_side_by_side_each_with_its_own_code_and_dependency_version()
    {
        var v12 = await hub.Client.OpenAsync(RepoPaths.Sample("json-v12"));
        var v13 = await hub.Client.OpenAsync(RepoPaths.Sample("json-v13"));
        Assert.NotEqual(v12.LoadContextName, v13.LoadContextName);
        Assert.Equal("12.0.0.0", await v12.InvokeAsync("newtonsoft_version"));
        Assert.Equal("13.0.0.0", await v13.InvokeAsync("newtonsoft_version"));
        Assert.Equal("json-v12 uses Newtonsoft.Json 12.0.0.0 -> {\"flavour\":\"twelve\"}", await v12.InvokeAsync("describe"));
        Assert.Equal("json-v13 uses Newtonsoft.Json 13.0.0.0 -> {\"flavour\":\"thirteen\",\"indented\":true}", await v13.InvokeAsync("describe"));
        Assert.Equal(v12.LoadContextName, await v12.InvokeAsync("context"));
        Assert.Equal(v13.LoadContextName, await v13.InvokeAsync("context"));
        // Both builds produced an assembly named hubconf.
        Assert.True(File.Exists(Path.Combine(v12.BuildDirectory, "out", "hubconf.dll")));
        Assert.True(File.Exists(Path.Combine(v13.BuildDirectory, "out", "hubconf.dll")));
    }

    [Fact]
    public async Task Contract_types_are_shared_with_the_host_so_results_cast_to_host_types()
    {
        var services = await hub.Client.LoadAsync<IHubServices>(RepoPaths.FixtureRepo("contract"), "services");
        Assert.Empty(services.LoadStateDictFromUrl("http://127.0.0.1/none.pt"));
        Assert.NotSame(typeof(IHubServices).Assembly, services.GetType().Assembly);
        Assert.Same(typeof(IHubServices).Assembly, services.GetType().GetInterfaces().Single().Assembly);
        var location = await hub.Client.LoadAsync<string>(RepoPaths.FixtureRepo("contract"), "contract_location");
        Assert.Equal($"HubHost.Contract {typeof(IHubServices).Assembly.GetName().Version} in Default; TorchSharp {typeof(torch).Assembly.GetName().Version} in Default", location);
    }

    [Fact]
    public async Task A_repo_referencing_a_torchsharp_backend_builds_compile_only_with_no_torchsharp_or_libtorch_files()
    {
        var repo = await hub.Client.OpenAsync(RepoPaths.FixtureRepo("contract"));
        var files = Directory.EnumerateFiles(Path.Combine(repo.BuildDirectory, "out"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("hubconf.dll", files);
        Assert.DoesNotContain(files, f => f!.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || f.StartsWith("HubHost.Contract", StringComparison.OrdinalIgnoreCase)
                                          || f.Contains("LibTorchSharp", StringComparison.OrdinalIgnoreCase) || f.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
                                          || f.StartsWith("libc10", StringComparison.OrdinalIgnoreCase));
        var size = Directory.EnumerateFiles(repo.BuildDirectory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(size < 2_000_000, $"the build folder holds {size:N0} bytes");
    }

    [Fact]
    public async Task A_repo_sees_its_own_folder_and_reads_the_weights_it_ships_through_the_hub()
    {
        var repo = await hub.Client.OpenAsync(RepoPaths.FixtureRepo("contract"));
        var folder = (string)(await repo.InvokeAsync("repo_directory"))!;
        Assert.True(File.Exists(Path.Combine(folder, "hubconf.csproj")), folder);
        Assert.StartsWith(repo.BuildDirectory, folder);
        Assert.Equal(4, await repo.InvokeAsync("shipped_tensors"));
    }

    [Theory]
    [InlineData("contract-skew", "HubHost.Contract")]
    [InlineData("torchsharp-skew", "TorchSharp")]
    public async Task A_repo_built_against_a_higher_contract_version_is_refused_naming_both_versions(string fixture, string contract)
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(RepoPaths.FixtureRepo(fixture)));
        var host = contract == "TorchSharp" ? typeof(torch).Assembly : typeof(IHubServices).Assembly;
        Assert.Contains($"{contract} 99.0.0.0", e.Message);
        Assert.Contains($"this host has {contract} {host.GetName().Version}", e.Message);
    }

    [Fact]
    public async Task Objects_made_by_a_repo_belong_to_its_context()
    {
        var repo = await hub.Client.OpenAsync(RepoPaths.FixtureRepo("typed-args"));
        var marker = await repo.InvokeAsync("make_object");
        Assert.Equal("marker from typed-args", marker!.ToString());
        Assert.Same(repo.LoadContext, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(marker.GetType().Assembly));
    }

    [Fact]
    public async Task A_released_repo_version_is_collected_once_its_objects_are_dropped()
    {
        var client = new HubClient(new HubOptions { HubDirectory = hub.HubDirectory });
        var (contextRef, objectRef) = LoadAndRelease(client);
        for (int i = 0; i < 20 && contextRef.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(objectRef.IsAlive, "the object made by the repo should be collected");
        Assert.False(contextRef.IsAlive, "the released load context should be collected");
        Assert.Empty(client.Loaded);
        // Loading again after a release gives a fresh context.
        var again = await client.OpenAsync(RepoPaths.FixtureRepo("typed-args"));
        Assert.False(again.IsReleased);
        again.Dispose();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Context, WeakReference Object) LoadAndRelease(HubClient client)
    {
        // Synchronous on purpose: no async state machine may keep the repo or its object alive after return.
        var repo = client.OpenAsync(RepoPaths.FixtureRepo("typed-args")).GetAwaiter().GetResult();
        var made = repo.InvokeAsync("make_object").GetAwaiter().GetResult();
        Assert.Equal("marker from typed-args", made!.ToString());
        var result = (new WeakReference(repo.LoadContext), new WeakReference(made));
        repo.Dispose();
        Assert.True(repo.IsReleased);
        var e = Assert.ThrowsAsync<HubException>(() => repo.InvokeAsync("make_object")).GetAwaiter().GetResult();
        Assert.Contains("was released", e.Message);
        return result;
    }
}
