using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Loading;

[Collection(SharedHubCollection.Name)]
public sealed class LoadTests(SharedHub hub)
{
    private static readonly string Hello = RepoPaths.Sample("hello");
    private static readonly string TypedArgs = RepoPaths.FixtureRepo("typed-args");

    [Fact]
    public async Task List_returns_public_static_methods_in_declaration_order()
    {
        var entrypoints = await hub.Client.ListAsync(Hello);
        Assert.Equal(["greet", "add", "slow_answer"], entrypoints.Select(e => e.Name));
    }

    [Fact]
    public async Task Help_shows_signature_with_types_and_defaults_and_the_doc_comment()
    {
        var help = await hub.Client.HelpAsync(Hello, "greet");
        Assert.StartsWith("greet(string name = \"world\", int times = 1, bool excited = false) -> string", help);
        Assert.Contains("Greets someone.", help);
        Assert.Matches(@"times\s+int\s+= 1\s+How many times to say hello\.", help);
        Assert.Contains("Returns: The greeting.", help);
        Assert.Contains("hubhost load ./plugins-sample/hello greet --arg name=Ada --arg times=2", help);
    }

    [Fact]
    public async Task Load_binds_named_arguments_and_uses_defaults()
    {
        Assert.Equal("hello, world.", await hub.Client.LoadAsync<string>(Hello, "greet"));
        Assert.Equal("hello hello, Ada!", await hub.Client.LoadAsync<string>(Hello, "greet", new { name = "Ada", times = 2, excited = true }));
    }

    [Fact]
    public async Task Load_binds_positional_arguments_and_converts_numbers()
    {
        Assert.Equal(3.5, await hub.Client.LoadAsync<double>(Hello, "add", HubArguments.Of(1, 2.5f)));
        Assert.Equal(5.0, await hub.Client.LoadAsync<double>(Hello, "add", new object?[] { 2L, 3 }));
    }

    [Fact]
    public async Task Load_converts_strings_like_the_cli_passes_them_and_matches_snake_case_names()
    {
        var named = new Dictionary<string, string> { ["num_classes"] = "10", ["scale"] = "2.25", ["flavour"] = "chocolate", ["seed"] = "7", ["tags"] = "a,b,c", ["big"] = "123456789012" };
        var text = await hub.Client.LoadAsync<string>(TypedArgs, "describe", named);
        Assert.Equal("numClasses=10:Int32 scale=2.25:Single flavour=Chocolate seed=7 tags=a|b|c big=123456789012", text);
    }

    [Fact]
    public async Task Load_awaits_async_entrypoints_and_passes_the_cancellation_token()
    {
        Assert.Equal("42", await hub.Client.LoadAsync<string>(Hello, "slow_answer", new { milliseconds = 1 }));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hub.Client.LoadAsync(Hello, "slow_answer", new { milliseconds = 5000 }, cancellationToken: cts.Token));
    }

    [Fact]
    public async Task Entrypoint_names_match_case_insensitively_when_unique()
        => Assert.Equal("hello, world.", await hub.Client.LoadAsync<string>(Hello, "GREET"));

    [Fact]
    public async Task Repeat_loads_of_one_version_share_one_load_context()
    {
        var a = await hub.Client.OpenAsync(Hello);
        var b = await hub.Client.OpenAsync(Hello);
        Assert.Same(a, b);
        Assert.EndsWith("plugins-sample/hello@" + a.Version, a.LoadContextName);
    }

    [Fact]
    public async Task A_new_client_reuses_the_build_without_building_again()
    {
        var first = await hub.Client.OpenAsync(Hello);
        var builtAt = File.GetLastWriteTimeUtc(Path.Combine(first.BuildDirectory, "build.json"));
        var other = hub.NewClient();
        var second = await other.OpenAsync(Hello);
        Assert.NotSame(first, second);
        Assert.Equal(first.BuildDirectory, second.BuildDirectory);
        Assert.Equal(builtAt, File.GetLastWriteTimeUtc(Path.Combine(second.BuildDirectory, "build.json")));
        second.Dispose();
    }

    [Fact]
    public async Task Wrong_result_type_names_both_types()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync<int>(Hello, "greet"));
        Assert.Contains("returned System.String, not System.Int32", e.Message);
    }

    [Fact]
    public async Task Static_facade_lists_helps_and_loads_through_the_default_hub()
    {
        var previous = Hub.GetDir();
        Hub.SetDir(hub.HubDirectory);
        try
        {
            Assert.Equal(Path.GetFullPath(hub.HubDirectory), Hub.GetDir());
            Assert.Contains("greet", Hub.List(Hello));
            Assert.StartsWith("add(double a, double b) -> double", Hub.Help(Hello, "add"));
            Assert.Equal("hello, Bob.", Hub.Load<string>(Hello, "greet", new { name = "Bob" }));
            foreach (var loaded in Hub.Default.Loaded) loaded.Dispose();
        }
        finally
        {
            Hub.SetDir(previous);
        }
        await Task.CompletedTask;
    }
}
