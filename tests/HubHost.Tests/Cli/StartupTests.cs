using HubHost.Storage;
using HubHost.Cli;
using HubHost.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace HubHost.Tests.Cli;

/// <summary>
/// Issue 17, start-up: HUBHOST_TRACE_STARTUP=1 shows where a fresh process's time goes, and a command that logs nothing
/// never starts Serilog (DeferredLoggerFactory). Asserts what ran, never how long it took.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class StartupTests(SharedHub hub)
{
    [Fact]
    public async Task Trace_shows_the_phases_of_a_load_and_a_built_repo_loads_without_starting_the_logger()
    {
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory), ["HUBHOST_TRACE_STARTUP"] = "1" };
        string[] load = ["load", RepoPaths.Sample("hello"), "greet", "--arg", "name=Ada"];
        var first = await CliRunner.RunAsync(load, env); // builds the repo unless another test did: that logs, so Serilog starts
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal(first.Stderr.Contains("[INF] Building", StringComparison.Ordinal), first.Stderr.Contains("logger set-up", StringComparison.Ordinal));
        var cached = await CliRunner.RunAsync(load, env);
        Assert.True(cached.ExitCode == 0, cached.Stderr);
        Assert.StartsWith("hello, Ada.", cached.Stdout); // stdout is the result only
        var phases = cached.Stderr.Split('\n').Where(l => l.StartsWith("[startup]", StringComparison.Ordinal)).ToList();
        string[] expected = ["runtime start to Main", "command line parsed", "hub client", "repo opened", "entrypoint called", "printed"];
        Assert.Equal(expected, phases.Select(l => expected.FirstOrDefault(l.Contains)).Where(p => p is not null));
        Assert.All(phases, l => Assert.Matches(@"^\[startup\] +[0-9.]+ ms +\+ *-?[0-9.]+ ms +.+ jit \+ *[0-9]+ methods +[0-9.]+ ms, assemblies \+[0-9]+$", l));
        Assert.DoesNotContain("logger set-up", cached.Stderr); // nothing logged: Serilog never made
        Assert.DoesNotContain("[INF]", cached.Stderr);

        var quiet = await CliRunner.RunAsync(load, new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory) });
        Assert.Equal(0, quiet.ExitCode);
        Assert.DoesNotContain("[startup]", quiet.Stderr); // off unless asked for
    }

    [Fact]
    public async Task A_cached_load_parses_its_command_line_without_json_and_names_what_each_phase_loaded()
    {
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory), ["HUBHOST_TRACE_STARTUP"] = "names" };
        string[] load = ["load", RepoPaths.Sample("hello"), "greet", "--arg", "name=Ada"];
        Assert.Equal(0, (await CliRunner.RunAsync(load, env)).ExitCode); // built by now
        var cached = await CliRunner.RunAsync(load, env);
        Assert.True(cached.ExitCode == 0, cached.Stderr);
        var lines = cached.Stderr.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        string AssembliesAfter(string phase) => lines[lines.FindIndex(l => l.Contains(phase, StringComparison.Ordinal)) + 1];
        Assert.StartsWith("[startup:assemblies] ", AssembliesAfter("command line parsed"));
        Assert.Contains("System.CommandLine", AssembliesAfter("command line parsed"));
        Assert.DoesNotContain("System.Text.Json", AssembliesAfter("command line parsed")); // --json's settings are made only for --json
        Assert.Contains("hubconf", AssembliesAfter("repo opened"));
    }

    [Fact]
    public async Task A_new_process_takes_a_local_folders_hash_from_the_hub_directory_while_its_files_are_unchanged()
    {
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory) };
        var noBuild = new Dictionary<string, string?>(env) { ["HUBHOST_NO_BUILD"] = "1" };
        string[] load = ["load", RepoPaths.Sample("hello"), "greet", "--arg", "name=Ada"];
        var first = await CliRunner.RunAsync(load, env);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var folder = Path.GetFullPath(RepoPaths.Sample("hello"));
        var record = Assert.Single(Directory.GetFiles(HubDirectories.LocalHashes(hub.HubDirectory)), f => File.ReadLines(f).First() == folder);
        var original = File.ReadAllText(record);
        var lines = original.Split('\n', 3); // the folder, its hash, the sizes and times of its files
        Assert.Contains($"({lines[1][..12]})", first.Stdout); // the version the load printed
        try
        {
            // Another hash under the same sizes and times: a new process takes it as the folder's version (builds are off,
            // so the message names the version it looked for) instead of hashing the files again.
            File.WriteAllText(record, string.Join('\n', folder, new string('b', 64), lines[2]));
            var taken = await CliRunner.RunAsync(load, noBuild);
            Assert.Equal(1, taken.ExitCode);
            Assert.Contains("(bbbbbbbbbbbb) is not built", taken.Stderr);

            // Sizes and times that are not the files' own: the folder is hashed again, and the record written again.
            File.WriteAllText(record, string.Join('\n', folder, new string('b', 64), "hubconf.csproj|1|1\n"));
            var rehashed = await CliRunner.RunAsync(load, noBuild);
            Assert.True(rehashed.ExitCode == 0, rehashed.Stderr);
            Assert.Contains($"({lines[1][..12]})", rehashed.Stdout);
            Assert.Equal(original, File.ReadAllText(record));
        }
        finally
        {
            File.WriteAllText(record, original);
        }
    }

    [Fact]
    public async Task A_process_that_loaded_libtorch_ends_without_its_teardown_and_keeps_its_whole_output_and_exit_code()
    {
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = CliRunner.HomeOf(hub.HubDirectory), ["HUBHOST_TRACE_STARTUP"] = "1" };
        const string skipped = "exit, libtorch's teardown skipped";
        static string LastMark(string stderr) => stderr.Split('\n').Last(l => l.StartsWith("[startup]", StringComparison.Ordinal));

        // state-dict loads libtorch for its digests: the whole listing (JSON that parses) comes out, then the process ends at the mark.
        var listed = await CliRunner.RunAsync(["state-dict", Path.Combine(RepoPaths.Sample("vision"), "digits_mlp.pt"), "--json"], env);
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        using (var json = System.Text.Json.JsonDocument.Parse(listed.Stdout))
            Assert.Equal(4, json.RootElement.GetArrayLength());
        Assert.Contains(skipped, LastMark(listed.Stderr));

        // run starts loading libtorch before it parses its command line: a failure after the load keeps its message and code,
        // and help, printed while the load may still be under way, ends at once with its whole text.
        var input = Path.Combine(hub.HubDirectory, "..", $"ones-{Guid.NewGuid():N}.npy");
        using (var ones = TorchSharp.torch.ones(1, 3)) HubHost.Checkpoints.Npy.Save(input, ones);
        var failed = await CliRunner.RunAsync(["run", RepoPaths.Sample("hello"), "greet", "--input", input], env);
        File.Delete(input);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("not a model taking tensors", failed.Stderr);
        Assert.Contains(skipped, LastMark(failed.Stderr));
        var help = await CliRunner.RunAsync(["run", "--help"], env);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--labels", help.Stdout);
        Assert.Contains("--hub-dir", help.Stdout); // the last line of run's help
        Assert.Contains(skipped, LastMark(help.Stderr));

        // A command that never loads libtorch ends the normal way.
        var loaded = await CliRunner.RunAsync(["load", RepoPaths.Sample("hello"), "greet", "--arg", "name=Ada"], env);
        Assert.True(loaded.ExitCode == 0, loaded.Stderr);
        Assert.DoesNotContain(skipped, loaded.Stderr);
    }

    [Fact]
    public async Task Each_command_is_built_under_the_name_the_command_table_gives_it_and_root_help_lists_them_all()
    {
        foreach (var (name, _) in CliApp.CommandTable)
        {
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Assert.Equal(0, await CliApp.RunAsync([name, "--help"], stdout, stderr));
            Assert.Contains($"hubhost {name} ", stdout.ToString()); // the usage line of that command, built alone
        }
        using var rootOut = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["--help"], rootOut, TextWriter.Null));
        Assert.All(CliApp.CommandTable, c => Assert.Matches($@"(?m)^\s+{c.Name}\b", rootOut.ToString()));
    }

    [Fact]
    public void The_deferred_logger_factory_makes_the_real_one_on_the_first_event_written_only()
    {
        using var real = new RecordingFactory();
        var made = 0;
        using var factory = new DeferredLoggerFactory(LogLevel.Information, () => { made++; return real; });
        var logger = factory.CreateLogger("HubHost");
        Assert.False(logger.IsEnabled(LogLevel.Debug));
        Assert.True(logger.IsEnabled(LogLevel.Information));
        logger.LogDebug("below the minimum");
        Assert.Equal(0, made);
        Assert.False(factory.Started);
        logger.LogInformation("Built {Repo}", "hello");
        logger.LogWarning("again");
        Assert.Equal(1, made);
        Assert.Equal(["HubHost: Information Built hello", "HubHost: Warning again"], real.Lines);
    }

    private sealed class RecordingFactory : ILoggerFactory
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingFactory owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.Lines.Add($"{category}: {logLevel} {formatter(state, exception)}");
        }
    }
}
