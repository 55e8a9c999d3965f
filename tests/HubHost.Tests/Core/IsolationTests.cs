using System.Runtime.CompilerServices;
using HubHost.Nn;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Core;

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
        var provider = await hub.Client.LoadAsync<IWeightsProvider>(RepoPaths.FixtureRepo("contract"), "provider");
        Assert.Empty(provider.LoadStateDictFromUrl("http://127.0.0.1/none.pt"));
        Assert.NotSame(typeof(IWeightsProvider).Assembly, provider.GetType().Assembly);
        Assert.Same(typeof(IWeightsProvider).Assembly, provider.GetType().GetInterfaces().Single().Assembly);
        var location = await hub.Client.LoadAsync<string>(RepoPaths.FixtureRepo("contract"), "contract_location");
        Assert.Equal(typeof(IWeightsProvider).Assembly.GetName().Version + " in Default", location);
    }

    [Fact]
    public async Task A_repo_built_against_a_higher_contract_version_is_refused_naming_both_versions()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(RepoPaths.FixtureRepo("contract-skew")));
        Assert.Contains("HubHost.Nn 99.0.0.0", e.Message);
        Assert.Contains($"this host has HubHost.Nn {typeof(Tensor).Assembly.GetName().Version}", e.Message);
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
        again.Release();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Context, WeakReference Object) LoadAndRelease(HubClient client)
    {
        // Synchronous on purpose: no async state machine may keep the repo or its object alive after return.
        var repo = client.OpenAsync(RepoPaths.FixtureRepo("typed-args")).GetAwaiter().GetResult();
        var made = repo.InvokeAsync("make_object").GetAwaiter().GetResult();
        Assert.Equal("marker from typed-args", made!.ToString());
        var result = (new WeakReference(repo.LoadContext), new WeakReference(made));
        repo.Release();
        Assert.True(repo.IsReleased);
        var e = Assert.ThrowsAsync<HubException>(() => repo.InvokeAsync("make_object")).GetAwaiter().GetResult();
        Assert.Contains("was released", e.Message);
        return result;
    }
}
