using HubHost.Locking;
using HubHost.Hosting;
using HubHost.Reloading;
using HubHost.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HubHost.Tests.Hosting;

/// <summary>
/// services.AddHubHost / AddHubEntrypoint in real hosts (HostApplicationBuilder, in-memory configuration), over the
/// shared hub directory: plugins-sample/hello is built once for the run.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class HostingTests(SharedHub hub)
{
    private static readonly string Hello = RepoPaths.Sample("hello");

    private HostApplicationBuilder Builder(IDictionary<string, string?> settings, string? contentRoot = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = contentRoot ?? RepoPaths.Root });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["HubHost:HubDirectory"] = hub.HubDirectory });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddHubHost(builder.Configuration.GetSection("HubHost"));
        return builder;
    }

    [Fact]
    public void A_configuration_section_binds_to_the_hub_options()
    {
        using var temp = new TempDirectory();
        var builder = Builder(new Dictionary<string, string?>
        {
            ["HubHost:HubDirectory"] = "cache/hub",             // relative: to the content root
            ["HubHost:Offline"] = "true",
            ["HubHost:DisableBuilds"] = "True",
            ["HubHost:BuildTimeout"] = "00:01:30",
            ["HubHost:GitNetworkTimeout"] = "00:00:45",
            ["HubHost:DownloadMinimumSpeed"] = "0",
            ["HubHost:GitBaseUrl"] = "https://git.example/mirror",
            ["HubHost:NuGetConfigFile"] = "/etc/myapp/nuget.config",
        }, contentRoot: temp.Path);
        using var host = builder.Build();

        var client = host.Services.GetRequiredService<HubClient>();
        var options = client.Options;
        Assert.Equal(temp.Combine("cache", "hub"), client.HubDirectory);
        Assert.True(options.Offline);
        Assert.True(options.DisableBuilds);
        Assert.Equal(TimeSpan.FromSeconds(90), options.BuildTimeout);
        Assert.Equal(TimeSpan.FromSeconds(45), options.GitNetworkTimeout);
        Assert.Equal(0, options.DownloadMinimumSpeed);
        Assert.Equal("https://git.example/mirror/", options.GitBaseUrl);
        Assert.Equal("/etc/myapp/nuget.config", options.NuGetConfigFile);
        Assert.Equal(new HubOptions().DownloadStallTime, options.DownloadStallTime); // not in the section: the default

        using var home = Builder(new Dictionary<string, string?> { ["HubHost:HubDirectory"] = "~/.cache/myapp/hub" }).Build();
        Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "myapp", "hub"),
            home.Services.GetRequiredService<HubClient>().HubDirectory);
    }

    [Fact]
    public void Hub_options_start_from_the_HUBHOST_variables_and_configuration_overrides_them()
    {
        // HUBHOST_GIT_TIMEOUT is set for this process only while the test runs (a value harmless to anything else).
        var before = Environment.GetEnvironmentVariable("HUBHOST_GIT_TIMEOUT");
        Environment.SetEnvironmentVariable("HUBHOST_GIT_TIMEOUT", "123");
        try
        {
            using var fromEnvironment = Builder(new Dictionary<string, string?>()).Build();
            Assert.Equal(TimeSpan.FromSeconds(123), fromEnvironment.Services.GetRequiredService<HubClient>().Options.GitNetworkTimeout);

            using var overridden = Builder(new Dictionary<string, string?> { ["HubHost:GitNetworkTimeout"] = "00:00:45" }).Build();
            Assert.Equal(TimeSpan.FromSeconds(45), overridden.Services.GetRequiredService<HubClient>().Options.GitNetworkTimeout);

            // Code configures last here (registered after the section).
            var builder = Builder(new Dictionary<string, string?> { ["HubHost:GitNetworkTimeout"] = "00:00:45" });
            builder.Services.AddHubHost(o => o.GitNetworkTimeout = TimeSpan.FromSeconds(7));
            using var inCode = builder.Build();
            Assert.Equal(TimeSpan.FromSeconds(7), inCode.Services.GetRequiredService<HubClient>().Options.GitNetworkTimeout);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HUBHOST_GIT_TIMEOUT", before);
        }
    }

    [Fact]
    public async Task The_hub_client_is_one_singleton_and_disposing_the_container_releases_what_it_loaded()
    {
        var builder = Builder(new Dictionary<string, string?>());
        builder.Services.AddHubHost(); // again: still one client
        var host = builder.Build();
        var client = host.Services.GetRequiredService<HubClient>();
        Assert.Single(host.Services.GetServices<HubClient>());
        using (var scope = host.Services.CreateScope())
            Assert.Same(client, scope.ServiceProvider.GetRequiredService<HubClient>());

        var repo = await client.OpenAsync(Hello);
        Assert.Equal("hello, world.", await repo.InvokeAsync("greet"));
        host.Dispose();
        Assert.True(repo.IsReleased);
        Assert.Empty(client.Loaded);
    }

    [Fact]
    public void The_client_takes_its_services_from_the_container_and_only_data_from_the_options()
    {
        var prompt = new TestTrustPrompt(_ => false);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var builder = Builder(new Dictionary<string, string?>());
        builder.Services.AddSingleton<HubHost.Trust.ITrustPrompt>(prompt);
        builder.Services.AddSingleton<TimeProvider>(clock);
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<HubClient>();
        Assert.Same(prompt, client.TrustPrompt);
        Assert.Same(clock, client.TimeProvider);
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), client.LoggerFactory);

        // Without them registered: nobody is asked (an untrusted repo is refused), the system clock.
        using var plain = Builder(new Dictionary<string, string?>()).Build();
        Assert.Null(plain.Services.GetRequiredService<HubClient>().TrustPrompt);
        Assert.Same(TimeProvider.System, plain.Services.GetRequiredService<HubClient>().TimeProvider);
    }

    [Fact]
    public async Task The_containers_logger_factory_receives_the_hubs_logs()
    {
        using var copy = new TempDirectory("hubhost-hello-copy"); // same content as hello: the shared build serves it
        foreach (var file in Directory.EnumerateFiles(Hello)) File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        var sink = new CollectingLoggerProvider();
        var builder = Builder(new Dictionary<string, string?>
        {
            ["Hello:Repo"] = copy.Path,
            ["Hello:Entrypoint"] = "greet",
        });
        builder.Logging.AddProvider(sink);
        builder.Services.AddHubEntrypoint<string>("hello", builder.Configuration.GetSection("Hello"));
        using var host = builder.Build();
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), host.Services.GetRequiredService<HubClient>().LoggerFactory);

        await host.StartAsync();
        var handle = host.Services.GetRequiredKeyedService<ReloadableEntrypoint<string>>("hello");
        Assert.Contains(sink.Entries, e => e.Category == "HubHost.Hosting" && e.Level == LogLevel.Information && e.Message.StartsWith("Hub entrypoint hello: greet of ", StringComparison.Ordinal));

        // A reload that fails is the hub's own warning, through the container's logging.
        Directory.Delete(copy.Path, recursive: true);
        var outcome = await handle.ReloadAsync();
        Assert.IsType<HubException>(outcome.Error);
        Assert.Equal("hello, world.", handle.Current); // the old version keeps serving
        var warning = Assert.Single(sink.Entries, e => e.Category == "HubHost" && e.Level == LogLevel.Warning);
        Assert.StartsWith($"Reloading {copy.Path} failed; {handle.Version} keeps serving: The local repo", warning.Message);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_hosted_entrypoint_loads_before_the_hosted_services_start_is_usable_from_di_and_is_released_on_stop()
    {
        var builder = Builder(new Dictionary<string, string?>
        {
            ["Hello:Repo"] = "./plugins-sample/hello",              // relative: to the content root (the repo root here)
            ["Hello:Entrypoint"] = "greet",
            ["Hello:Arguments:name"] = "Ada",                        // text, converted to the parameters' types
            ["Hello:Arguments:times"] = "2",
            ["Hello:Arguments:excited"] = "true",
            ["Hello:PollInterval"] = "01:00:00",
        });
        builder.Services.AddHostedService<Consumer>();               // registered first, starts after the load all the same
        builder.Services.AddHubEntrypoint<string>("hello", builder.Configuration.GetSection("Hello"));
        using var host = builder.Build();
        var client = host.Services.GetRequiredService<HubClient>();
        var entry = host.Services.GetRequiredKeyedService<HubEntrypoint<string>>("hello");
        Assert.Equal("hello", entry.Name);
        Assert.Contains("is not loaded", Assert.Throws<InvalidOperationException>(() => entry.Handle).Message);

        await host.StartAsync();
        Assert.Equal("hello hello, Ada!", host.Services.GetServices<IHostedService>().OfType<Consumer>().Single().SeenAtStart);
        var handle = host.Services.GetRequiredKeyedService<ReloadableEntrypoint<string>>("hello");
        Assert.Same(entry.Handle, handle);
        Assert.Equal(Hello, handle.Repo);
        Assert.Equal("hello hello, Ada!", await handle.UseAsync((greeting, _) => Task.FromResult(greeting)));
        var repo = Assert.Single(client.Loaded);                     // loaded by the container's one client
        Assert.Equal(handle.Version, repo.Version);

        await host.StopAsync();
        Assert.True(repo.IsReleased);
        Assert.Empty(client.Loaded);
        Assert.Throws<InvalidOperationException>(() => entry.Handle);
        Assert.Throws<ObjectDisposedException>(() => handle.Current);
    }

    [Fact]
    public async Task A_hosted_entrypoint_with_a_lock_file_loads_the_locked_version_and_refuses_drift_at_start()
    {
        using var temp = new TempDirectory();
        var lockFile = temp.Combine("hubhost.lock.json");
        (await hub.NewClient().LockAsync(Hello, "greet")).Save(lockFile);
        var builder = Builder(new Dictionary<string, string?>
        {
            ["Hello:Repo"] = "./plugins-sample/hello",               // the lock names the same folder by its full path
            ["Hello:Entrypoint"] = "greet",
            ["Hello:LockFile"] = lockFile,
        });
        builder.Services.AddHubEntrypoint<string>("hello", builder.Configuration.GetSection("Hello"));
        using (var host = builder.Build())
        {
            await host.StartAsync();
            Assert.Equal("hello, world.", await host.Services.GetRequiredKeyedService<ReloadableEntrypoint<string>>("hello").UseAsync((g, _) => Task.FromResult(g)));
            await host.StopAsync();
        }

        // A lock whose entry names other content than the folder has: the host does not start, and says what drifted.
        var entry = Assert.Single(HubLock.Load(lockFile).Repos);
        File.WriteAllText(lockFile, File.ReadAllText(lockFile).Replace(entry.Source.ContentKey!, "local-0000000000000000000000000000000000000000000000000000000000000000", StringComparison.Ordinal));
        var drifted = Builder(new Dictionary<string, string?> { ["Hello:Repo"] = "./plugins-sample/hello", ["Hello:Entrypoint"] = "greet", ["Hello:LockFile"] = lockFile });
        drifted.Services.AddHubEntrypoint<string>("hello", drifted.Configuration.GetSection("Hello"));
        using var refused = drifted.Build();
        var e = await Assert.ThrowsAsync<HubException>(() => refused.StartAsync());
        Assert.StartsWith("The hub entrypoint 'hello' did not load: ", e.Message);
        Assert.Contains("drifted from hubhost.lock.json: its files changed", e.Message);
    }

    [Fact]
    public async Task A_bad_hub_option_fails_the_host_start_with_the_hubs_message()
    {
        using var host = Builder(new Dictionary<string, string?> { ["HubHost:BuildTimeout"] = "00:00:00" }).Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("HubOptions.BuildTimeout is 00:00:00: give a time greater than zero.", e.Message);
    }

    [Fact]
    public async Task A_configuration_value_of_the_wrong_type_fails_the_host_start_with_one_hub_message_naming_the_key()
    {
        // Issue 21, item 11: before, the binder's InvalidOperationException escaped the app (samples/worker died with exit 134).
        var builder = Builder(new Dictionary<string, string?> { ["Digits:Repo"] = Hello, ["Digits:Entrypoint"] = "greet", ["Digits:PollInterval"] = "banana" });
        builder.Services.AddHubEntrypoint<string>("digits", builder.Configuration.GetSection("Digits"));
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<HubException>(() => host.StartAsync());
        Assert.Contains("Digits:PollInterval", e.Message);
        Assert.Contains("00:05:00", e.Message);

        using var badHub = Builder(new Dictionary<string, string?> { ["HubHost:BuildTimeout"] = "soon" }).Build();
        Assert.Contains("HubHost:BuildTimeout", (await Assert.ThrowsAsync<HubException>(() => badHub.StartAsync())).Message);
    }

    [Fact]
    public async Task An_entrypoint_without_a_repo_fails_the_host_start_saying_what_to_give()
    {
        var builder = Builder(new Dictionary<string, string?> { ["Hello:Entrypoint"] = "greet" });
        builder.Services.AddHubEntrypoint<string>("hello", builder.Configuration.GetSection("Hello"));
        using var host = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal("The hub entrypoint 'hello' has no Repo: give a local folder (./my-hub), owner/name[:ref], a git URL or nuget:Id@range.", e.Message);
    }

    [Fact]
    public async Task A_first_load_that_fails_fails_the_host_start_with_the_hubs_message()
    {
        var builder = Builder(new Dictionary<string, string?>());
        builder.Services.AddHubEntrypoint<int>("hello", o =>
        {
            o.Repo = Hello;
            o.Entrypoint = "greet";                                  // returns a string, not an int
        });
        var host = builder.Build();
        var client = host.Services.GetRequiredService<HubClient>();
        var e = await Assert.ThrowsAsync<HubException>(() => host.StartAsync());
        Assert.StartsWith($"The hub entrypoint 'hello' did not load: The entrypoint greet of {Hello} (", e.Message);
        Assert.EndsWith("returned System.String, not System.Int32.", e.Message);
        host.Dispose();
        Assert.Empty(client.Loaded);                                 // the container let go of what the failed start loaded

        using var temp = new TempDirectory();
        var missing = Builder(new Dictionary<string, string?>());
        missing.Services.AddHubEntrypoint<string>("missing", o =>
        {
            o.Repo = temp.Combine("nowhere");
            o.Entrypoint = "greet";
        });
        using var host2 = missing.Build();
        var error = await Assert.ThrowsAsync<HubException>(() => host2.StartAsync());
        Assert.StartsWith($"The hub entrypoint 'missing' did not load: The local repo '{temp.Combine("nowhere")}' does not exist.", error.Message);
    }

    [Fact]
    public void An_entrypoint_name_is_added_once()
    {
        var services = new ServiceCollection();
        services.AddHubEntrypoint<string>("hello", o => o.Repo = Hello);
        var e = Assert.Throws<ArgumentException>(() => services.AddHubEntrypoint<string>("hello", o => o.Repo = Hello));
        Assert.StartsWith("A hub entrypoint named 'hello' returning String was already added", e.Message);
    }

    /// <summary>A hosted service that takes the entrypoint in its constructor and uses it when it starts.</summary>
    private sealed class Consumer([FromKeyedServices("hello")] HubEntrypoint<string> hello) : IHostedService
    {
        public string? SeenAtStart { get; private set; }

        public Task StartAsync(CancellationToken cancellationToken)
        {
            SeenAtStart = hello.Handle.Current;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A logger provider that keeps what it is given.</summary>
    private sealed class CollectingLoggerProvider : ILoggerProvider
    {
        private readonly List<(string Category, LogLevel Level, string Message)> _entries = [];

        public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries
        {
            get { lock (_entries) return _entries.ToList(); }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(CollectingLoggerProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (provider._entries) provider._entries.Add((category, logLevel, formatter(state, exception)));
            }
        }
    }
}
