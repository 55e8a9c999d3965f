using HubHost.Tests.Sources.Git;
using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Importing;

/// <summary>
/// `hubhost import` with real PyTorch (Debian's python3-torch at /usr/bin/python3): what it writes, that the repo loads
/// through the hub and reproduces PyTorch, and how each failure is one error line that leaves nothing behind.
/// </summary>
[Collection(ImportCollection.Name)]
public sealed class ImportTests(ImportFixture fixture)
{
    private static readonly string[] Written = ["hubconf.csproj", "Hubconf.cs", "ImportedModules.cs", "README.md", "hubconf.catalog.json", "hubconf.import.json"];

    [PythonFact]
    public void Import_writes_a_complete_hub_repo_and_says_how_each_model_was_exported()
    {
        Assert.True(fixture.First.ExitCode == 0, fixture.First.Stderr);
        foreach (var file in Written.Concat(["mlp.pt", "varargs.pt", "two_heads.pt", "samples/mlp.input0.npy", "samples/two_heads.output1.npy"]))
            Assert.True(File.Exists(Path.Combine(fixture.Directory, file)), file);
        var entries = fixture.FirstJson.GetProperty("entrypoints").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.Equal("script", entries["mlp"].GetProperty("method").GetString());
        Assert.Equal("trace", entries["varargs"].GetProperty("method").GetString());
        Assert.Contains("variable number of arguments", entries["varargs"].GetProperty("scriptError").GetString());
        Assert.Equal("NamedOutputs", entries["two_heads"].GetProperty("returns").GetString());
        Assert.Equal(["logits", "embedding"], entries["two_heads"].GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("key").GetString()!));
        foreach (var output in entries.Values.SelectMany(e => e.GetProperty("outputs").EnumerateArray()))
            Assert.InRange(output.GetProperty("maxRelativeDifference").GetDouble(), 0, 1e-4);
        Assert.StartsWith("1.13", fixture.FirstJson.GetProperty("torch").GetString());
        Assert.DoesNotContain("error:", fixture.First.Stderr);
        // Nothing of the work is left beside the repo.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(fixture.Directory)!, ".tmp-*"));
    }

    [PythonFact]
    public async Task The_imported_repo_loads_through_the_hub_with_docs_and_reproduces_PyTorch()
    {
        Assert.True(fixture.Second.ExitCode == 0, fixture.Second.Stderr);
        var hub = new HubClient(new HubOptions { HubDirectory = fixture.HubDirectory });
        var repo = await hub.OpenAsync(fixture.Directory);
        try
        {
            Assert.Equal(["hello", "mlp", "pair", "two_heads", "varargs"], repo.Entrypoints.Select(e => e.Name).Order(StringComparer.Ordinal));
            var mlp = repo.Entrypoints.Single(e => e.Name == "mlp");
            Assert.Equal("A two-layer perceptron for 8x8 images.", mlp.Summary);
            Assert.Contains("scripted with torch.jit.script", mlp.Remarks);
            Assert.Contains("torch 1.13", mlp.Remarks);
            Assert.Contains("Example input [2, 1, 8, 8] float32", mlp.Remarks);
            Assert.Contains("tests/fixtures/python-hubs/tiny", mlp.Remarks);
            Assert.Contains("number of classes <logits>", mlp.Remarks); // the docstring, XML-escaped in the source
            Assert.Contains("traced with torch.jit.trace", repo.Entrypoints.Single(e => e.Name == "varargs").Remarks);
            Assert.EndsWith("ScriptModule<Tensor, Tensor>", mlp.ReturnType);

            foreach (var name in new[] { "mlp", "varargs" })
            {
                using var model = (jit.ScriptModule<Tensor, Tensor>)(await repo.InvokeAsync(name))!;
                Assert.False(model.training);
                using var x = Npy.Load(Path.Combine(fixture.Directory, "samples", name + ".input0.npy"));
                using var y = model.forward(x);
                using var expected = Npy.Load(Path.Combine(fixture.Directory, "samples", name + ".output0.npy"));
                TorchAssert.Close(expected, y);
            }

            using var twoHeads = (nn.Module<Tensor, Dictionary<string, Tensor>>)(await repo.InvokeAsync("two_heads"))!;
            using (var x = Npy.Load(Path.Combine(fixture.Directory, "samples", "two_heads.input0.npy")))
            {
                var outputs = twoHeads.forward(x);
                Assert.Equal(["logits", "embedding"], outputs.Keys);
                TorchAssert.Close(Npy.Load(Path.Combine(fixture.Directory, "samples", "two_heads.output0.npy")), outputs["logits"]);
                TorchAssert.Close(Npy.Load(Path.Combine(fixture.Directory, "samples", "two_heads.output1.npy")), outputs["embedding"]);
                Assert.Equal(8 * 6 + 6 + 6 * 3 + 3, twoHeads.parameters().Sum(p => p.numel())); // the archive's weights, through the wrapper
            }
            Assert.Equal("hand-written", await repo.InvokeAsync("hello"));
        }
        finally
        {
            repo.Dispose();
        }
    }

    [PythonFact]
    public void A_second_import_adds_its_entrypoint_and_keeps_the_others_and_hand_written_files()
    {
        Assert.True(fixture.Second.ExitCode == 0, fixture.Second.Stderr);
        Assert.Equal(ImportFixture.HandWritten, File.ReadAllText(Path.Combine(fixture.Directory, "HandWritten.cs")));
        var hubconf = File.ReadAllText(Path.Combine(fixture.Directory, "Hubconf.cs"));
        foreach (var name in new[] { "mlp()", "varargs()", "two_heads()", "pair()" }) Assert.Contains(name, hubconf);
        var readme = File.ReadAllText(Path.Combine(fixture.Directory, "README.md"));
        Assert.Equal(2, readme.Split("hubhost import: begin").Length);
        Assert.Contains("`pair`", readme);
        Assert.Contains("`mlp`", readme);
        using var catalog = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture.Directory, "hubconf.catalog.json")));
        var cards = catalog.RootElement.GetProperty("entrypoints");
        Assert.Equal("classification", cards.GetProperty("mlp").GetProperty("task").GetString());
        Assert.Equal("Vision", cards.GetProperty("mlp").GetProperty("category").GetString());
        Assert.Equal([2, 1, 8, 8], cards.GetProperty("mlp").GetProperty("input").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal([3, 4], cards.GetProperty("pair").GetProperty("input").GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
    }

    [PythonFact]
    public async Task With_a_weights_url_the_repo_downloads_its_archive_hash_checked_and_the_file_to_upload_is_beside_it()
    {
        Assert.True(fixture.Second.ExitCode == 0, fixture.Second.Stderr);
        var pair = fixture.SecondJson.GetProperty("entrypoints")[0];
        var archive = pair.GetProperty("archive").GetString()!;
        Assert.Matches("^pair-[0-9a-f]{8}\\.pt$", archive);
        Assert.Equal(fixture.WeightsUrl + archive, pair.GetProperty("url").GetString());
        Assert.Equal("jit.ScriptModule<(Tensor, Tensor)>", pair.GetProperty("returns").GetString());
        Assert.True(File.Exists(Path.Combine(fixture.UploadDirectory, archive)));
        Assert.False(File.Exists(Path.Combine(fixture.Directory, archive)));
        Assert.Contains($"LoadScriptFromUrl<(Tensor, Tensor)>(\"{fixture.WeightsUrl}{archive}\")", File.ReadAllText(Path.Combine(fixture.Directory, "Hubconf.cs")));

        // A user's hub (empty cache) downloads it from the URL.
        using var home = new TempDirectory("hubhost-import-user");
        var hub = new HubClient(new HubOptions { HubDirectory = home.Combine("hub") });
        var repo = await hub.OpenAsync(fixture.Directory);
        try
        {
            using var model = (jit.ScriptModule<(Tensor, Tensor)>)(await repo.InvokeAsync("pair"))!;
            Assert.Single(fixture.Server.RequestsFor("/models/" + archive));
            using var a = Npy.Load(Path.Combine(fixture.Directory, "samples", "pair.input0.npy"));
            using var b = Npy.Load(Path.Combine(fixture.Directory, "samples", "pair.input1.npy"));
            var (first, second) = model.forward(a, b);
            TorchAssert.Close(Npy.Load(Path.Combine(fixture.Directory, "samples", "pair.output0.npy")), first);
            TorchAssert.Close(Npy.Load(Path.Combine(fixture.Directory, "samples", "pair.output1.npy")), second);
        }
        finally
        {
            repo.Dispose();
        }
    }

    [PythonFact]
    public async Task A_model_HubHost_cannot_reproduce_is_one_error_and_nothing_is_written()
    {
        using var temp = new TempDirectory("hubhost-import-noisy");
        var output = temp.Combine("noisy");
        var result = await fixture.RunAsync(["import", ImportFixture.TinyHub, "noisy", "-x", "2,3", "-o", output, "--python", PythonTorch.Python]);
        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("does not reproduce PyTorch's output of noisy: max relative difference", error);
        Assert.Contains("nothing was written", error);
        Assert.False(Directory.Exists(output));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
        Assert.Equal("", result.Stdout);
    }

    [PythonFact]
    public async Task Each_bad_import_is_one_error_line_saying_what_to_do()
    {
        using var temp = new TempDirectory("hubhost-import-bad");
        // A Python without torch: the same interpreter with site-packages off (-S), through a wrapper script.
        var noTorch = temp.Combine("python-without-torch");
        File.WriteAllText(noTorch, $"#!/bin/sh\nexec {PythonTorch.Python} -S \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(noTorch, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(temp.Combine("file"), "");
        var cases = new (string[] Args, string Expected)[]
        {
            (["mlp", "-x", "2,64", "--python", noTorch], "has no PyTorch"),
            (["mlp", "-x", "2,64", "--python", temp.Combine("no-such-python")], "--python /usr/bin/python3"),
            (["no_such_entry", "-x", "2,64", "--python", PythonTorch.Python], "hubconf.py has no entrypoint no_such_entry; it has: bag_of_ids, mlp"),
            (["not_a_model", "-x", "2,64", "--python", PythonTorch.Python], "returned str, not a torch.nn.Module"),
            (["mlp", "-x", "2,3", "--python", PythonTorch.Python], "cannot run on the example input ([2, 3] float32) in PyTorch"),
            (["mlp", "-x", "2,three", "--python", PythonTorch.Python], "is not a shape"),
        };
        foreach (var (args, expected) in cases)
        {
            var output = temp.Combine("out");
            var result = await fixture.RunAsync(["import", ImportFixture.TinyHub, .. args, "-o", output]);
            Assert.True(result.ExitCode == 1, $"{string.Join(' ', args)}: {result.Stderr}");
            var error = Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal));
            Assert.Contains(expected, error);
            Assert.False(Directory.Exists(output), string.Join(' ', args));
        }
        var notPython = await fixture.RunAsync(["import", temp.Path, "mlp", "-x", "2,64", "-o", temp.Combine("out")]);
        Assert.Contains("is not a Python torch.hub repo: it has no hubconf.py", Assert.Single(notPython.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)));
        var notImported = await fixture.RunAsync(["import", ImportFixture.TinyHub, "mlp", "-x", "2,64", "-o", RepoPaths.Sample("vision")]);
        Assert.Contains("hubhost import did not write", Assert.Single(notImported.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)));
        var package = await fixture.RunAsync(["import", "nuget:Some.Hub.Package@1.0.0", "mlp", "-x", "2,64", "-o", temp.Combine("out")]);
        Assert.Contains("is a prebuilt HubHost package; hubhost import reads Python torch.hub repos", Assert.Single(package.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.Equal(["file", "python-without-torch"], Directory.EnumerateFileSystemEntries(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [PythonFact]
    public async Task A_git_repo_is_fetched_with_the_hubs_git_trusted_first_and_its_commit_recorded()
    {
        using var temp = new TempDirectory("hubhost-import-git");
        var git = new Sources.Git.GitTestRepo(temp.Path, "tiny-py");
        var commit = git.Commit("main", new Dictionary<string, string> { ["hubconf.py"] = File.ReadAllText(Path.Combine(ImportFixture.TinyHub, "hubconf.py")) }, "a Python hub");
        git.Push(commit, "main");
        var env = new Dictionary<string, string?> { ["HUBHOST_GIT_BASE_URL"] = "file://" + git.ServeRoot + "/" };
        var output = temp.Combine("bag");
        string[] args = ["import", git.OwnerName, "bag_of_ids", "-x", "2,5:int64", "-o", output, "--python", PythonTorch.Python, "--json"];

        var refused = await fixture.RunAsync(args, env);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("trust", Assert.Single(refused.Stderr.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(output));

        var imported = await fixture.RunAsync([.. args, "--trust-repo"], env);
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        using var json = JsonDocument.Parse(imported.Stdout);
        Assert.Equal(commit, json.RootElement.GetProperty("commit").GetString());
        Assert.Contains($"at commit {commit}", File.ReadAllText(Path.Combine(output, "Hubconf.cs")));
        using var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "hubconf.catalog.json")));
        var bag = card.RootElement.GetProperty("entrypoints").GetProperty("bag_of_ids");
        Assert.Equal("text", bag.GetProperty("task").GetString());
        Assert.Equal("int64", bag.GetProperty("input").GetProperty("dtype").GetString());
        // The checkout in the hub cache was not written to (no __pycache__, no build).
        var checkout = Path.Combine(fixture.HubDirectory, "git", "checkouts", commit);
        Assert.Equal(["hubconf.py"], Directory.EnumerateFileSystemEntries(checkout).Select(Path.GetFileName));
    }

    [PythonFact]
    public async Task Torchvisions_lraspp_segmentation_model_imports_from_torchvisions_hubconf_with_its_dictionary_output()
    {
        using var temp = new TempDirectory("hubhost-import-torchvision");
        var output = temp.Combine("segmentation");
        var result = await fixture.RunAsync(["import", RepoPaths.Fixture("python-hubs", "torchvision"), "lraspp_mobilenet_v3_large", "--arg", "weights_backbone=None",
            "-x", "1,3,64,64", "-o", output, "--python", PythonTorch.Python, "--json"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        var entry = json.RootElement.GetProperty("entrypoints")[0];
        Assert.Equal("script", entry.GetProperty("method").GetString());
        var output0 = Assert.Single(entry.GetProperty("outputs").EnumerateArray());
        Assert.Equal("out", output0.GetProperty("key").GetString());
        Assert.Equal([1, 21, 64, 64], output0.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.InRange(output0.GetProperty("maxRelativeDifference").GetDouble(), 0, 1e-4);
        var hubconf = File.ReadAllText(Path.Combine(output, "Hubconf.cs"));
        Assert.Contains("Constructs a Lite R-ASPP Network model with a MobileNetV3-Large backbone", hubconf);
        Assert.Contains("weights_backbone=None", hubconf);
        using var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "hubconf.catalog.json")));
        Assert.Equal("segmentation", card.RootElement.GetProperty("entrypoints").GetProperty("lraspp_mobilenet_v3_large").GetProperty("task").GetString());
    }
}
