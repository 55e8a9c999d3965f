using System.Text;
using HubHost.Bench.Check;
using HubHost.Bench.Downloads;
using HubHost.Tests.Infrastructure;
using Xunit.Abstractions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace HubHost.Tests.Publishing;

/// <summary>
/// The one-liners the catalog and `hubhost help` hand users work as given: the C# one of every sample entrypoint compiles
/// against the library (Roslyn, the references of an app that uses HubHost, the SDK's implicit usings), and the CLI one
/// of every sample entrypoint runs.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class OneLinerTests(SharedHub hub, ITestOutputHelper output)
{
    /// <summary>Every sample hub repo (a folder of plugins-sample with hubconf.csproj), as a user in the repo's root names it.</summary>
    private static IEnumerable<string> Samples()
        => Directory.GetDirectories(Path.Combine(RepoPaths.Root, "plugins-sample"))
            .Where(d => File.Exists(Path.Combine(d, "hubconf.csproj")))
            .Select(d => "./plugins-sample/" + Path.GetFileName(d))
            .Order(StringComparer.Ordinal);

    [Fact]
    public async Task The_csharp_one_liner_of_every_sample_entrypoint_compiles_against_the_library()
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.EndsWith(".dll", StringComparison.Ordinal)).Select(p => MetadataReference.CreateFromFile(p)).ToList();
        var implicitUsings = CSharpSyntaxTree.ParseText(string.Join("\n", new[] { "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks" }.Select(n => $"global using {n};")));
        var failures = new List<string>();
        var count = 0;
        foreach (var sample in Samples())
        {
            var repo = await hub.Client.OpenAsync(Path.Combine(RepoPaths.Root, sample));
            foreach (var entry in repo.Entrypoints)
            {
                var code = entry.CSharpCall(sample);
                count++;
                Assert.DoesNotContain("null", code.Split("new {").Skip(1).FirstOrDefault() ?? "");
                var compilation = CSharpCompilation.Create("OneLiner" + count, [implicitUsings, CSharpSyntaxTree.ParseText(code)], references,
                    new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
                using var assembly = new MemoryStream();
                var emitted = compilation.Emit(assembly);
                var problems = emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
                if (!emitted.Success || problems.Count > 0)
                    failures.Add($"{sample} {entry.Name}:\n{code}\n  {string.Join("\n  ", problems)}");
            }
        }
        output.WriteLine($"{count} one-liners compiled");
        Assert.True(count >= 35, $"only {count} sample entrypoints found");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task The_cli_one_liner_of_every_sample_entrypoint_but_visions_runs_as_given()
    {
        var count = 0;
        foreach (var sample in Samples().Where(s => !s.EndsWith("/vision", StringComparison.Ordinal)))
        {
            var repo = await hub.Client.OpenAsync(Path.Combine(RepoPaths.Root, sample));
            foreach (var entry in repo.Entrypoints)
            {
                await RunOneLinerAsync(entry.CliCall(sample), RepoPaths.Root, CliRunner.HomeOf(hub.HubDirectory));
                count++;
            }
        }
        Assert.True(count >= 9, $"only {count} one-liners ran");
    }

    /// <summary>
    /// Vision's one-liners load pretrained weights (<c>--arg pretrained=true</c>) from torchvision's server, which tests cannot
    /// reach: they run against a copy of the repo whose weights table points at a loopback server of torchvision-shaped
    /// weights (zeros, hash-named), each as the catalog shows it for that copy.
    /// </summary>
    [Fact]
    public async Task The_cli_one_liner_of_every_vision_entrypoint_runs_with_weights_from_a_loopback_server()
    {
        using var temp = new TempDirectory("hubhost-oneliners");
        var vision = await hub.Client.OpenAsync(RepoPaths.Sample("vision"));
        using var server = LoopbackFileServer.ForFolder(temp.Combine("weights"), "/models/");
        var files = await VisionWeights.PrepareAsync(vision, temp.Combine("vision"), temp.Combine("weights"), server.Url);
        Assert.Equal(25, files.Count);
        var home = temp.Combine("home");
        var ran = new List<string>();
        foreach (var entry in vision.Entrypoints)
        {
            var line = entry.CliCall("./vision");
            Assert.EndsWith($" {entry.Name} --arg pretrained=true", line);
            await RunOneLinerAsync(line, temp.Path, home);
            ran.Add(entry.Name);
        }
        Assert.Equal(26, ran.Count);
        // Every file of the loopback server was downloaded (into the hub's cache) and checked against its name's hash.
        Assert.All(files.Values, f => Assert.Single(Directory.GetFiles(home, f, SearchOption.AllDirectories)));
    }

    private async Task RunOneLinerAsync(string line, string workingDirectory, string hubHome)
    {
        var words = ShellWords(line);
        Assert.Equal("hubhost", words[0]);
        Assert.DoesNotContain(words, w => w.EndsWith('=')); // never an empty --arg
        var result = await CliRunner.RunAsync(words.Skip(1), new Dictionary<string, string?> { ["HUBHOST_HOME"] = hubHome }, TimeSpan.FromMinutes(5), workingDirectory);
        output.WriteLine($"{line}: exit {result.ExitCode}");
        Assert.True(result.ExitCode == 0, $"{line} failed:\n{result.Stderr}");
        Assert.DoesNotContain("error:", result.Stderr);
    }

    /// <summary>The words of a command line as a POSIX shell splits it (spaces; single quotes, as the one-liners quote).</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '\'') { quoted = !quoted; any = true; }
            else if (c == ' ' && !quoted) { if (any) words.Add(word.ToString()); word.Clear(); any = false; }
            else { word.Append(c); any = true; }
        }
        Assert.False(quoted, "unbalanced quote in " + line);
        if (any) words.Add(word.ToString());
        return words;
    }
}
