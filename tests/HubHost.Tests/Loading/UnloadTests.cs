using System.Runtime.CompilerServices;
using HubHost.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace HubHost.Tests.Loading;

/// <summary>
/// A released version is collected whatever path its arguments took: the repo's own enum, struct, record and
/// TypeConverter-annotated types given as text, and repos that serialised their own anonymous types with their
/// own Newtonsoft.Json. Unload proof as in dotnet/runtime's loader tests: a WeakReference to the context, made
/// in a method that is not inlined, then a GC loop.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class UnloadTests(SharedHub hub, ITestOutputHelper output)
{
    public static TheoryData<string, string, string, string> BindingPaths => new()
    {
        { "binding-types", "colour", "Green", "colour Green" },
        { "binding-types", "size", "3x4", "size 3 by 4" },
        { "binding-types", "point", "5;6", "point 5,6" },
        { "binding-types", "temperature", "21.5C", "temperature 21.5C" },
    };

    [Theory]
    [MemberData(nameof(BindingPaths))]
    public void A_repo_type_given_as_text_binds_and_does_not_keep_the_released_context_alive(string repo, string entrypoint, string text, string expected)
    {
        var context = CallAndRelease(hub.NewClient(), RepoPaths.FixtureRepo(repo), entrypoint, text, expected);
        Assert.True(Collected(context), $"the context of {repo} stayed alive after {entrypoint}({text})");
    }

    [Fact]
    public async Task A_repo_type_that_cannot_be_given_as_text_says_so()
    {
        var client = hub.NewClient();
        var repo = await client.OpenAsync(RepoPaths.FixtureRepo("binding-types"));
        try
        {
            var e = await Assert.ThrowsAsync<HubException>(() => repo.InvokeAsync("opaque", new Dictionary<string, object?> { ["opaque"] = "x" }));
            Assert.Contains("cannot be given as text", e.Message);
        }
        finally
        {
            repo.Dispose();
        }
    }

    [Theory]
    [InlineData("json-v12", "json-v12 uses Newtonsoft.Json 12.0.0.0 -> {\"flavour\":\"twelve\"}")]
    [InlineData("json-v13", "json-v13 uses Newtonsoft.Json 13.0.0.0 -> {\"flavour\":\"thirteen\",\"indented\":true}")]
    public void A_repo_that_serialised_its_anonymous_type_with_its_own_newtonsoft_is_collected(string sample, string expected)
    {
        var context = CallAndRelease(hub.NewClient(), RepoPaths.Sample(sample), "describe", null, expected);
        Assert.True(Collected(context), $"the context of {sample} stayed alive after describe");
    }

    [Fact]
    public async Task A_released_context_still_alive_after_collections_is_reported_naming_the_repo_version()
    {
        var logs = new ListLogger();
        var client = new HubClient(new HubOptions { HubDirectory = hub.HubDirectory }, LoggerFactory.Create(b => b.AddProvider(logs)));
        var (context, pinned, version) = LoadPinAndRelease(client);
        for (var i = 0; i < 60 && !logs.Messages.Any(m => m.Contains("still alive", StringComparison.Ordinal)); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.Delay(100);
        }
        var warning = Assert.Single(logs.Messages, m => m.Contains("still alive", StringComparison.Ordinal));
        output.WriteLine(warning);
        Assert.Contains(version, warning);
        Assert.True(context.IsAlive);
        GC.KeepAlive(pinned);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Context, object Pinned, string Version) LoadPinAndRelease(HubClient client)
    {
        var repo = client.OpenAsync(RepoPaths.FixtureRepo("typed-args")).GetAwaiter().GetResult();
        var made = repo.InvokeAsync("make_object").GetAwaiter().GetResult()!; // kept: it holds the context
        var result = (new WeakReference(repo.LoadContext), made, repo.LoadContextName);
        repo.Dispose();
        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CallAndRelease(HubClient client, string path, string entrypoint, string? text, string expected)
    {
        // Synchronous on purpose: no async state machine may keep the repo alive after return.
        var repo = client.OpenAsync(path).GetAwaiter().GetResult();
        var parameter = text is null ? null : repo.Entrypoints.Single(e => e.Name == entrypoint).Parameters.Single().Name;
        var arguments = parameter is null ? null : new Dictionary<string, object?> { [parameter] = text };
        Assert.Equal(expected, repo.InvokeAsync(entrypoint, arguments).GetAwaiter().GetResult());
        var context = new WeakReference(repo.LoadContext);
        repo.Dispose();
        return context;
    }

    private static bool Collected(WeakReference context)
    {
        for (var i = 0; i < 20 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        return !context.IsAlive;
    }

    private sealed class ListLogger : ILoggerProvider, ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get { lock (_messages) return _messages.ToArray(); }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_messages) _messages.Add($"{logLevel}: {formatter(state, exception)}");
        }

        public void Dispose()
        {
        }
    }
}
