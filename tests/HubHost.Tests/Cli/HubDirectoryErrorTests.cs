using System.Diagnostics;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Cli;

/// <summary>A hub directory that is a file, under a file, or not writable: one clear error line, exit 1, no stack trace.</summary>
public sealed class HubDirectoryErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new("hubhost-hubdir");

    public void Dispose() => _temp.Dispose();

    private static void AssertOneCleanError(CliRunner.Result result, string expected)
    {
        Assert.True(result.ExitCode == 1, $"exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.Stderr);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.DoesNotContain("unexpected", lines[0]);
    }

    private static Task<CliRunner.Result> Run(params string[] args) => CliRunner.RunAsync(args, new Dictionary<string, string?> { ["HUBHOST_HOME"] = null });

    public static TheoryData<string[]> Commands => new()
    {
        new[] { "cache", "ls" },
        new[] { "cache", "prune" },
        new[] { "trust", "ls" },
        new[] { "trust", "add", "owner/name" },
        new[] { "list", RepoPaths.Sample("hello") },
        new[] { "contracts" },
        new[] { "serve", RepoPaths.Sample("hello"), "--urls", "http://127.0.0.1:0" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_hub_dir_that_is_a_file(string[] command)
    {
        var file = _temp.Combine("not-a-folder");
        File.WriteAllText(file, "x");
        AssertOneCleanError(await Run([.. command, "--hub-dir", file]), $"The hub directory '{file}' is a file, not a folder");
        AssertOneCleanError(await Run([.. command, "--hub-dir", Path.Combine(file, "hub")]), $"'{file}' is a file");
        Assert.Equal("x", File.ReadAllText(file));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_hub_dir_the_user_cannot_write()
    {
        // Root writes anywhere, so as root the CLI runs as nobody (setpriv) on a folder root owns.
        var folder = _temp.Combine("readonly");
        Directory.CreateDirectory(folder);
        var home = _temp.Combine("home");
        Directory.CreateDirectory(home);
        var hello = RepoPaths.Sample("hello");
        var cli = CliRunner.CliDll;
        if (Environment.UserName == "root")
        {
            File.SetUnixFileMode(home, (UnixFileMode)0x1FF);
            // The source tree may sit in a folder only root can enter (a mktemp -d clone): nobody gets its own
            // readable copy of the CLI (hard links, so libtorch is not copied) and of the sample.
            File.SetUnixFileMode(_temp.Path, (UnixFileMode)0x1ED);
            var app = _temp.Combine("app");
            using (var cp = Process.Start("cp", ["-al", AppContext.BaseDirectory.TrimEnd('/'), app])!) await cp.WaitForExitAsync();
            cli = Path.Combine(app, Path.GetFileName(CliRunner.CliDll));
            hello = _temp.Combine("hello");
            Directory.CreateDirectory(hello);
            foreach (var file in Directory.EnumerateFiles(RepoPaths.Sample("hello"))) File.Copy(file, Path.Combine(hello, Path.GetFileName(file)));
        }
        else File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        AssertOneCleanError(await RunUnprivileged(cli, home, "list", hello, "--hub-dir", folder), $"The hub directory '{folder}' is not writable");
        AssertOneCleanError(await RunUnprivileged(cli, home, "trust", "add", "owner/name", "--hub-dir", folder), "is not writable");
        AssertOneCleanError(await RunUnprivileged(cli, home, "list", hello, "--hub-dir", Path.Combine(folder, "sub", "hub")), "cannot be created");
        var ls = await RunUnprivileged(cli, home, "cache", "ls", "--hub-dir", folder); // reading needs no write access
        Assert.True(ls.ExitCode == 0, ls.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
    }

    private static async Task<CliRunner.Result> RunUnprivileged(string cli, string home, params string[] args)
    {
        var info = CliRunner.StartInfo(args, new Dictionary<string, string?> { ["HUBHOST_HOME"] = null, ["HOME"] = home, ["DOTNET_CLI_HOME"] = home });
        info.ArgumentList[0] = cli;
        if (Environment.UserName == "root")
        {
            var dotnet = info.FileName;
            info.FileName = "setpriv";
            foreach (var a in new[] { dotnet }.Reverse()) info.ArgumentList.Insert(0, a);
            foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups" }.Reverse()) info.ArgumentList.Insert(0, a);
        }
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new CliRunner.Result(process.ExitCode, await stdout, await stderr);
    }
}
