using System.Diagnostics;
using System.Runtime.InteropServices;
using HubHost.Processes;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;

namespace HubHost.Tests.Cli;

/// <summary>The CLI as a .NET tool (README's install): packed, installed from that folder, run as `hubhost`.</summary>
public sealed class ToolPackageTests(ITestOutputHelper output)
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task The_cli_packs_as_a_tool_that_installs_and_runs_a_model_with_its_own_libtorch()
    {
        using var temp = new TempDirectory("hubhost-tool");
        var feed = temp.Combine("feed");
        var tools = temp.Combine("tools");
        // A version no cache can hold (a rebuilt package of an installed version would not be taken); PackageVersion
        // only, so the assemblies (their informational version) and the builds of the test run stay as they are.
        var version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..12];
        var clock = Stopwatch.StartNew();
        // --no-restore: the test run's build restored the CLI (its RuntimeIdentifiers included) and nothing here may rewrite it.
        // Up to 20 minutes: crossgen of the whole framework into the composite image took 3-4.5 min alone and over 5 min beside
        // the rest of the test run on 2 cores.
        await Dotnet.RunAsync(RepoPaths.Root, TimeSpan.FromMinutes(20), "pack", Path.Combine(RepoPaths.Root, "src", "HubHost.Cli"), "-c", Configuration,
            "-o", feed, "--no-restore", $"-p:PackageVersion={version}");
        output.WriteLine($"pack: {clock.Elapsed.TotalSeconds:F1} s");

        // A RID-specific tool: a small pointer package and the one for this platform, with libtorch inside.
        var rid = RuntimeInformation.RuntimeIdentifier;
        Assert.True(new FileInfo(Path.Combine(feed, $"HubHost.Cli.{version}.nupkg")).Length < 100_000, "the pointer package holds more than README and tool settings");
        var package = new FileInfo(Path.Combine(feed, $"HubHost.Cli.{rid}.{version}.nupkg"));
        Assert.True(package.Exists, $"no {package.Name} in {string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName))}");
        output.WriteLine($"{package.Name}: {package.Length / 1e6:F0} MB");

        // Installed into a folder of the test's own, from that feed alone (no other source is asked, nothing of the user's is touched).
        var config = temp.Combine("nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="hubhost-tool" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        clock.Restart();
        await Dotnet.RunCommandAsync(temp.Path, "tool", "install", "HubHost.Cli", "--tool-path", tools, "--version", version, "--configfile", config);
        output.WriteLine($"install: {clock.Elapsed.TotalSeconds:F1} s");
        var hubhost = Path.Combine(tools, "hubhost");
        Assert.True(File.Exists(hubhost), $"no hubhost command in {tools}");
        // A self-contained tool is packed under tools/any/<rid> (no target framework: it needs none installed) and started as an executable.
        var store = Path.Combine(tools, ".store", "hubhost.cli", version, $"hubhost.cli.{rid}", version, "tools", "any", rid);
        Assert.Contains("Runner=\"executable\"", File.ReadAllText(Path.Combine(store, "DotnetToolSettings.xml")));
        Assert.True(File.Exists(Path.Combine(store, "libtorch_cpu.so")), $"no libtorch_cpu.so in {store}");
        // Without what no .NET process loads (Python's bindings, libtorch's test backends).
        Assert.False(File.Exists(Path.Combine(store, "libtorch_python.so")), "the tool carries libtorch_python.so");
        Assert.False(File.Exists(Path.Combine(store, "libtorchbind_test.so")), "the tool carries libtorchbind_test.so");
        // Self-contained: its own runtime and framework, named by no "frameworks" entry the host would look up in the installed dotnet.
        Assert.True(File.Exists(Path.Combine(store, "libcoreclr.so")), $"no libcoreclr.so in {store}: the tool is not self-contained");
        Assert.True(File.Exists(Path.Combine(store, "System.Private.CoreLib.dll")), $"no System.Private.CoreLib.dll in {store}");
        var runtimeConfig = File.ReadAllText(Path.Combine(store, "HubHost.Cli.runtimeconfig.json"));
        Assert.Contains("\"includedFrameworks\"", runtimeConfig);
        Assert.DoesNotContain("\"frameworks\"", runtimeConfig);
        // One composite ReadyToRun image of the tool's assemblies and the framework's, CoreLib included: each is a component of it.
        Assert.True(File.Exists(Path.Combine(store, "HubHost.Cli.r2r.dll")), $"no composite image HubHost.Cli.r2r.dll in {store}");
        foreach (var assembly in new[] { "HubHost.dll", "HubHost.Cli.dll", "TorchSharp.dll", "System.Private.CoreLib.dll" })
        {
            using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(Path.Combine(store, assembly)));
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{assembly} in the tool is not ReadyToRun");
            Assert.True(ReferencesCompositeImage(pe, "HubHost.Cli.r2r.dll"), $"{assembly} in the tool is not a component of HubHost.Cli.r2r.dll");
        }

        var environment = Dotnet.Environment(new Dictionary<string, string?> { ["HUBHOST_HOME"] = temp.Combine("home") });
        Task<ProcessResult> Hubhost(params string[] args)
            => ChildProcess.RunAsync(hubhost, args, RepoPaths.Root, environment, TimeSpan.FromMinutes(3), CancellationToken.None);

        // The same program as the CLI the tests run.
        var installed = await Hubhost("--version");
        Assert.True(installed.ExitCode == 0, installed.CombinedOutput);
        var built = await CliRunner.RunAsync(temp.Combine("home"), ["--version"]);
        Assert.Equal(built.Stdout, installed.StandardOutput);

        // A model: the hub builds and loads the sample repo, TorchSharp runs on the tool's libtorch (the README's first run).
        clock.Restart();
        var run = await Hubhost("run", "./plugins-sample/vision", "digits_mlp", "--arg", "pretrained=true",
            "--input", "plugins-sample/vision/samples/digits.npy", "--top", "2");
        output.WriteLine($"run: {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.ExitCode == 0, run.CombinedOutput);
        var lines = run.StandardOutput.Split('\n');
        Assert.Equal("output shape [12, 10]", lines[0]);
        Assert.StartsWith("row 1: 7 (98.", lines[2]);

        // The TorchScript probe, a child process (`dotnet exec` with the tool's own runtimeconfig.json: the tool's runtime), passes
        // in a fresh hub: a model that is a TorchScript archive runs (README's segmentation sample).
        var mask = temp.Combine("mask.png");
        var script = await Hubhost("run", "./plugins-sample/segmentation", "lraspp_mobilenet_v3_large",
            "--image", "plugins-sample/segmentation/samples/shapes.png", "--output", mask);
        Assert.True(script.ExitCode == 0, script.CombinedOutput);
        Assert.True(File.Exists(mask), script.CombinedOutput);
        Assert.Single(Directory.GetFiles(Path.Combine(temp.Combine("home"), "hub", "torchscript", "probed"), "*.json"));
    }

    /// <summary>Whether a ReadyToRun component assembly names <paramref name="image"/> as its composite image (OwnerCompositeExecutable).</summary>
    private static bool ReferencesCompositeImage(System.Reflection.PortableExecutable.PEReader pe, string image)
    {
        // A component's ReadyToRun header is small, and the composite image's file name is in its sections as UTF-8.
        var name = System.Text.Encoding.UTF8.GetBytes(image);
        var all = pe.GetEntireImage().GetContent();
        return all.AsSpan().IndexOf(name) >= 0;
    }
}
