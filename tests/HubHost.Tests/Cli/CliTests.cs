using System.Text.Json;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Cli;

[Collection(SharedHubCollection.Name)]
public sealed class CliTests(SharedHub hub)
{
    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    private static void AssertOneCleanError(CliRunner.Result result, string expected)
    {
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var errors = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Contains(expected, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    [Fact]
    public async Task List_prints_entrypoints_with_their_summaries()
    {
        var result = await Run("list", RepoPaths.Sample("hello"));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["greet        Greets someone.", "add          Adds two numbers (a required-argument example).", "slow_answer  Waits, then answers: an asynchronous entrypoint."],
            result.Stdout.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Help_prints_signature_and_doc_and_json_has_the_parameters()
    {
        var text = await Run("help", RepoPaths.Sample("hello"), "greet");
        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("greet(string name = \"world\", int times = 1, bool excited = false) -> string", text.Stdout);
        var json = await Run("help", RepoPaths.Sample("hello"), "add", "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("add", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal(["a", "b"], doc.RootElement.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Load_prints_the_result_and_the_load_context_it_came_from()
    {
        var result = await Run("load", RepoPaths.Sample("hello"), "greet", "--arg", "name=Ada", "--arg", "times=2");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.Split('\n');
        Assert.Equal("hello hello, Ada.", lines[0]);
        Assert.Contains(lines, l => l.Contains("load context: " + RepoPaths.Sample("hello") + "@"));

        var json = await Run("load", RepoPaths.FixtureRepo("typed-args"), "make_object", "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        Assert.Equal("marker from typed-args", doc.RootElement.GetProperty("result").GetString());
        Assert.Equal("TypedArgs.Marker", doc.RootElement.GetProperty("resultType").GetString());
        Assert.Equal(doc.RootElement.GetProperty("loadContext").GetString(), doc.RootElement.GetProperty("resultTypeLoadContext").GetString());
    }

    [Fact]
    public async Task Compare_loads_two_same_named_repos_into_one_process()
    {
        var result = await Run("compare", RepoPaths.Sample("json-v12"), RepoPaths.Sample("json-v13"), "describe", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.StartsWith("json-v12 uses Newtonsoft.Json 12.0.0.0", doc.RootElement.GetProperty("a").GetProperty("result").GetString());
        Assert.StartsWith("json-v13 uses Newtonsoft.Json 13.0.0.0", doc.RootElement.GetProperty("b").GetProperty("result").GetString());
        Assert.NotEqual(doc.RootElement.GetProperty("a").GetProperty("loadContext").GetString(), doc.RootElement.GetProperty("b").GetProperty("loadContext").GetString());
        Assert.False(doc.RootElement.GetProperty("same").GetBoolean());
    }

    [Fact]
    public async Task Bad_input_gives_one_clear_line_and_a_non_zero_exit()
    {
        AssertOneCleanError(await Run("list", "/no/such/folder"), "The local repo '/no/such/folder' does not exist.");
        AssertOneCleanError(await Run("list", RepoPaths.Root), "has no hubconf.csproj at its root");
        AssertOneCleanError(await Run("list", RepoPaths.FixtureRepo("no-hubconf-class")), "has no public static class Hubconf");
        AssertOneCleanError(await Run("load", RepoPaths.Sample("hello"), "nope"), "has no entrypoint 'nope' (available: greet, add, slow_answer).");
        AssertOneCleanError(await Run("load", RepoPaths.Sample("hello"), "greet", "--arg", "times=lots"), "argument 'times' expects int: 'lots' is not a valid int");
        AssertOneCleanError(await Run("load", RepoPaths.Sample("hello"), "greet", "--arg", "nobody"), "--arg 'nobody' is not NAME=VALUE");
        AssertOneCleanError(await Run("load", RepoPaths.Sample("hello"), "greet", "--arg", "who=Ada"), "it has no parameter named 'who'");
        AssertOneCleanError(await Run("load", RepoPaths.FixtureRepo("broken-syntax"), "hello"), "error CS1002: ; expected");
        AssertOneCleanError(await Run("load", RepoPaths.FixtureRepo("missing-package"), "hello"), "HubHost.Fixture.Package.That.Does.Not.Exist");
        AssertOneCleanError(await Run("load", RepoPaths.FixtureRepo("throws"), "fail"), "failed: InvalidOperationException: boom");
    }

    [Fact]
    public async Task A_missing_argument_is_a_usage_error()
    {
        var result = await Run("load", RepoPaths.Sample("hello"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Contracts_writes_the_feed_plugins_restore_from_and_prints_it()
    {
        var result = await Run("contracts", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var feed = doc.RootElement.GetProperty("feed").GetString()!;
        Assert.Equal(Path.Combine(hub.HubDirectory, "contracts"), feed);
        var version = doc.RootElement.GetProperty("packages")[0].GetProperty("version").GetString();
        using var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"hubhost.contract.{version}.nupkg"));
        Assert.Contains(package.Entries, e => e.FullName == "lib/net10.0/HubHost.Contract.dll");
        using var nuspec = new StreamReader(package.GetEntry("HubHost.Contract.nuspec")!.Open());
        // TorchSharp is a compile-time dependency: the host provides it at run time.
        Assert.Matches("<dependency id=\"TorchSharp\" version=\"0\\.107\\.0\" exclude=\"Runtime,Native,", nuspec.ReadToEnd());
    }

    [Fact]
    public async Task Hub_dir_option_overrides_HUBHOST_HOME()
    {
        using var other = new TempDirectory();
        var result = await Run("contracts", "--json", "--hub-dir", other.Combine("elsewhere"));
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(Path.Combine(other.Combine("elsewhere"), "contracts"), doc.RootElement.GetProperty("feed").GetString());
    }

    [Theory]
    [InlineData("lsit ./x", "lsit is not a hubhost command; did you mean list? See `hubhost --help`.")]
    [InlineData("cache lss", "lss is not a hubhost cache command; did you mean ls? See `hubhost cache --help`.")]
    [InlineData("load", "`hubhost load` needs REPO and ENTRY (A local folder with hubconf.csproj, written as a path")]
    [InlineData("list ./plugins-sample/hello extra", "hubhost list got an extra argument extra. See `hubhost list --help`.")]
    public async Task A_command_line_that_does_not_parse_gets_one_error_line_with_a_suggestion_and_nothing_on_stdout(string line, string message)
    {
        var result = await Run(line.Split(' '));
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.StartsWith($"error: {message}", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.EndsWith($" See `hubhost{(line.StartsWith("cache", StringComparison.Ordinal) ? " cache" : line.StartsWith("list", StringComparison.Ordinal) ? " list" : line == "load" ? " load" : "")} --help`.", result.Stderr.Trim());
    }

    [Fact]
    public async Task With_json_an_error_is_also_a_json_object_on_stdout()
    {
        var usage = await Run("load", "--json");
        Assert.Equal(2, usage.ExitCode);
        using (var doc = JsonDocument.Parse(usage.Stdout))
        {
            Assert.Equal("usage", doc.RootElement.GetProperty("error").GetProperty("kind").GetString());
            Assert.Equal(2, doc.RootElement.GetProperty("error").GetProperty("exitCode").GetInt32());
        }
        var hubError = await Run("help", RepoPaths.Sample("hello"), "nope", "--json");
        Assert.Equal(1, hubError.ExitCode);
        using (var doc = JsonDocument.Parse(hubError.Stdout))
        {
            var error = doc.RootElement.GetProperty("error");
            Assert.Equal("hub", error.GetProperty("kind").GetString());
            Assert.Equal(1, error.GetProperty("exitCode").GetInt32());
            Assert.Equal(hubError.Stderr.Trim().Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal))["error: ".Length..], error.GetProperty("message").GetString());
        }
    }
}
