using HubHost.Storage;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests;

[Collection(SharedHubCollection.Name)]
public sealed class BadInputTests(SharedHub hub)
{
    [Fact]
    public async Task A_path_that_does_not_exist()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync("/definitely/not/here"));
        Assert.Equal("The local repo '/definitely/not/here' does not exist. Give the path of a folder that contains hubconf.csproj.", e.Message);
    }

    [Fact]
    public async Task A_folder_without_hubconf_csproj()
    {
        using var empty = new TempDirectory();
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(empty.Path));
        Assert.Contains("has no hubconf.csproj at its root", e.Message);
    }

    [Fact]
    public async Task No_Hubconf_class()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(RepoPaths.FixtureRepo("no-hubconf-class")));
        Assert.Contains("has no public static class Hubconf", e.Message);
    }

    [Fact]
    public async Task A_Hubconf_class_that_is_not_static()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(RepoPaths.FixtureRepo("not-static")));
        Assert.Contains("must be a static class", e.Message);
    }

    [Fact]
    public async Task An_unknown_entrypoint_lists_the_available_ones()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync(RepoPaths.Sample("hello"), "gret"));
        Assert.EndsWith("has no entrypoint 'gret' (available: greet, add, slow_answer).", e.Message);
    }

    [Theory]
    [InlineData("nme", "Ada", "it has no parameter named 'nme'")]
    [InlineData("times", "many", "argument 'times' expects int: 'many' is not a valid int")]
    [InlineData("times", "99999999999", "argument 'times' expects int: '99999999999' is not a valid int")]
    [InlineData("excited", "maybe", "argument 'excited' expects bool: 'maybe' is not true or false")]
    public async Task A_bad_argument_shows_the_signature(string name, string value, string problem)
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync(RepoPaths.Sample("hello"), "greet", new Dictionary<string, string> { [name] = value }));
        Assert.Equal($"Cannot call greet: {problem}. Signature: greet(string name = \"world\", int times = 1, bool excited = false) -> string", e.Message);
    }

    [Fact]
    public async Task A_missing_required_argument_and_too_many_positional_ones()
    {
        var missing = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync(RepoPaths.Sample("hello"), "add", new { a = 1 }));
        Assert.Contains("the required argument 'b' is missing", missing.Message);
        var tooMany = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync(RepoPaths.Sample("hello"), "add", HubArguments.Of(1, 2, 3)));
        Assert.Contains("it takes at most 2 positional arguments but 3 were given", tooMany.Message);
    }

    [Fact]
    public async Task An_entrypoint_that_throws_is_reported_with_its_exception()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadAsync(RepoPaths.FixtureRepo("throws"), "fail", new { why = "no weights" }));
        Assert.Contains("The entrypoint fail of", e.Message);
        Assert.EndsWith("failed: InvalidOperationException: no weights", e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    [Fact]
    public async Task A_repo_that_does_not_compile_shows_the_compiler_errors_and_leaves_nothing_in_the_cache()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(RepoPaths.FixtureRepo("broken-syntax")));
        Assert.Contains("failed:", e.Message);
        Assert.Contains("Hubconf.cs(5,56): error CS1002: ; expected", e.Message);
        Assert.DoesNotContain(hub.HubDirectory, e.Message); // paths are relative to the repo, not the build folder
        Assert.DoesNotContain("Build FAILED", e.Message);
        AssertNoBuildLeftFor(RepoPaths.FixtureRepo("broken-syntax"));
    }

    [Fact]
    public async Task A_restore_failure_names_the_package()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync(RepoPaths.FixtureRepo("missing-package")));
        Assert.Contains("NU1101", e.Message);
        Assert.Contains("HubHost.Fixture.Package.That.Does.Not.Exist", e.Message);
        AssertNoBuildLeftFor(RepoPaths.FixtureRepo("missing-package"));
    }

    [Fact]
    public async Task An_empty_repo_string()
    {
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.OpenAsync("  "));
        Assert.StartsWith("The repo is empty.", e.Message);
    }

    private void AssertNoBuildLeftFor(string repo)
    {
        var builds = HubDirectories.Builds(hub.HubDirectory);
        var entries = Directory.Exists(builds) ? Directory.GetDirectories(builds).Select(Path.GetFileName).ToList() : [];
        Assert.DoesNotContain(entries, name => name!.StartsWith(".tmp-", StringComparison.Ordinal));
        foreach (var dir in Directory.GetDirectories(builds))
        {
            var record = File.ReadAllText(Path.Combine(dir, "build.json"));
            Assert.DoesNotContain(repo, record);
        }
    }
}
