using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.TorchScript;

/// <summary>
/// A TorchScript archive reaches libtorch only through the hub's check: a repo that loads a hostile archive gets one
/// error line through the CLI (and the process that loaded the repo survives), and an archive is never read as a
/// state dict. tests/fixtures/repos/script-archives ships the archives (make_archives.py).
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class ScriptArchiveCliTests(SharedHub hub)
{
    private static readonly string Repo = RepoPaths.FixtureRepo("script-archives");

    private Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(CliRunner.HomeOf(hub.HubDirectory), args);

    private static void AssertOneCleanError(CliRunner.Result result, params string[] expected)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        foreach (var e in expected) Assert.Contains(e, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task A_hostile_archive_a_repo_loads_is_one_error_line_and_a_good_one_loads()
    {
        var good = await Run("load", Repo, "model");
        Assert.True(good.ExitCode == 0, good.Stderr);

        foreach (var (file, expected) in new[]
                 {
                     ("os_system.pt", "refers to the global 'os.system', which a TorchScript archive never contains"),
                     // libtorch 2.10 reading this one unchecked aborts the process (std::out_of_range escapes TorchSharp).
                     ("missing_attribute.pt", "no value for its attribute 'training'"),
                     ("traversal.pt", "member 'small_traced/../../../tmp/evil' leaves the archive"),
                     ("truncated.pt", "truncated"),
                 })
        {
            var result = await Run("load", Repo, "model", "--arg", $"file={file}");
            AssertOneCleanError(result, "is not a TorchScript archive the hub can load: ", file, expected);
        }
    }

    [Fact]
    public async Task An_archive_is_never_read_as_a_state_dict_and_the_error_says_how_to_load_it()
    {
        var archive = RepoPaths.Fixture("torchscript", "small_scripted.pt");
        AssertOneCleanError(await Run("state-dict", archive), "it is a TorchScript archive", "not a state dict", "load it as a model from a hub repo you trust (IHubServices.LoadScript");
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.LoadStateDictAsync(archive));
        Assert.Contains("it is a TorchScript archive (torch.jit.save: a model's code together with its weights), not a state dict", e.Message);
    }
}
