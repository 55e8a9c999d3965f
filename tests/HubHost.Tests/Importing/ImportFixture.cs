using System.Text.Json;
using HubHost.Tests.Downloads;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Importing;

/// <summary>
/// Two real `hubhost import` runs, once per test run (each runs PyTorch and builds the repo): three entrypoints of the
/// tiny Python hub at once (a scripted model, one only tracing exports, a dictionary output) into a new folder, then,
/// into the same folder beside a hand-written file, a model with two inputs and a tuple output published at a
/// loopback URL (--weights-url). Nothing runs without Python and torch.
/// </summary>
public sealed class ImportFixture : IAsyncLifetime
{
    private readonly TempDirectory _home = new("hubhost-import");

    public static string TinyHub => RepoPaths.Fixture("python-hubs", "tiny");

    public string HubHome => _home.Path;

    public string HubDirectory => _home.Combine("hub");

    /// <summary>The HubHost repo the imports write.</summary>
    public string Directory => _home.Combine("out", "tiny");

    public string UploadDirectory => Directory + "-upload";

    public LoopbackHttpServer Server { get; } = new();

    public string WeightsUrl => Server.Url("/models/");

    public CliRunner.Result First { get; private set; } = new(-1, "", "");

    public CliRunner.Result Second { get; private set; } = new(-1, "", "");

    public JsonElement FirstJson { get; private set; }

    public JsonElement SecondJson { get; private set; }

    /// <summary>The hand-written part of Hubconf the second import must keep.</summary>
    public const string HandWritten = """
        public static partial class Hubconf
        {
            /// <summary>Written by hand beside the imported entrypoints.</summary>
            public static string hello() => "hand-written";
        }
        """;

    public async Task InitializeAsync()
    {
        if (PythonTorch.WhyMissing is not null) return;
        First = await RunAsync(["import", TinyHub, "mlp", "varargs", "two_heads", "--example-input", "2,1,8,8", "-o", Directory, "--python", PythonTorch.Python, "--json"]);
        if (First.ExitCode != 0) return;
        FirstJson = JsonDocument.Parse(First.Stdout).RootElement.Clone();
        File.WriteAllText(Path.Combine(Directory, "HandWritten.cs"), HandWritten);
        Second = await RunAsync(["import", TinyHub, "pair", "-x", "3,4", "-x", "3,2", "-o", Directory, "--python", PythonTorch.Python, "--weights-url", WeightsUrl, "--json"]);
        if (Second.ExitCode != 0) return;
        SecondJson = JsonDocument.Parse(Second.Stdout).RootElement.Clone();
        foreach (var file in System.IO.Directory.EnumerateFiles(UploadDirectory))
            Server.Serve("/models/" + Path.GetFileName(file), File.ReadAllBytes(file));
    }

    public Task<CliRunner.Result> RunAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var env = new Dictionary<string, string?> { ["HUBHOST_HOME"] = HubHome };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>()) env[k] = v;
        return CliRunner.RunAsync(args, env, TimeSpan.FromMinutes(5));
    }

    public Task DisposeAsync()
    {
        Server.Dispose();
        _home.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class ImportCollection : ICollectionFixture<ImportFixture>
{
    public const string Name = "hubhost import";
}
