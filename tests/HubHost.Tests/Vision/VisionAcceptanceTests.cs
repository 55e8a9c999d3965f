using System.Security.Cryptography;
using System.Text.Json;
using HubHost.Nn;
using HubHost.Nn.Checkpoints;
using HubHost.Nn.Modules;
using HubHost.Tests.Downloads;
using HubHost.Tests.Git;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Vision;

/// <summary>
/// Issue 4 and 5 acceptance: plugins-sample/vision built and loaded by the hub, run on the files real
/// PyTorch 1.13 wrote (tests/fixtures/pytorch from ../shared, tests/fixtures/resnet18 by its make_reference.py).
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class VisionAcceptanceTests(SharedHub hub)
{
    private static readonly string Vision = RepoPaths.Sample("vision");

    [Fact]
    public async Task Digits_mlp_pretrained_reproduces_pytorch_logits_and_accuracy()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("pytorch", "digits_mlp.json")));
        var inputs = doc.RootElement.GetProperty("test_inputs").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var labels = doc.RootElement.GetProperty("test_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var expected = doc.RootElement.GetProperty("expected_logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();

        var model = await hub.Client.LoadAsync<Module>(Vision, "digits_mlp", new { pretrained = true });
        model.Eval();
        var logits = model.Call(Tensor.FromArray(inputs.SelectMany(r => r).ToArray(), inputs.Length, 64));
        Assert.Equal([(long)inputs.Length, 10], logits.Shape);
        var actual = logits.ToArray();
        Assert.True(MaxAbsDiff(actual, expected) <= 1e-5, $"max abs diff {MaxAbsDiff(actual, expected)}");
        var predicted = logits.ArgMax(1).ToInt64Array();
        var accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
        Assert.Equal(doc.RootElement.GetProperty("accuracy").GetDouble(), accuracy, 4);
    }

    [Fact]
    public async Task Squeezenet1_1_with_pytorch_weights_reproduces_pytorch_output()
    {
        var model = await hub.Client.LoadAsync<Module>(Vision, "squeezenet1_1");
        model.LoadStateDict(Checkpoint.Load(RepoPaths.Fixture("pytorch", "squeezenet1_1.pt")));
        model.Eval();
        AssertClose(model.Call(Npy.Load(RepoPaths.Fixture("pytorch", "squeezenet1_1_input.npy"))), Npy.Load(RepoPaths.Fixture("pytorch", "squeezenet1_1_output.npy")));
    }

    [Fact]
    public async Task Resnet18_from_a_torch_save_checkpoint_matches_torchvision()
    {
        var model = await hub.Client.LoadAsync<Module>(Vision, "resnet18");
        var stateDict = Checkpoint.Load(RepoPaths.Fixture("resnet18", "resnet18.pt"));
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("resnet18", "resnet18.json")));
        var digests = doc.RootElement.GetProperty("state_dict");
        foreach (var (name, tensor) in stateDict)
            Assert.Equal(digests.GetProperty(name).GetProperty("sha256").GetString(), TensorDigest.Sha256(tensor));
        model.LoadStateDict(stateDict);
        model.Eval();
        AssertClose(model.Call(Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_input.npy"))), Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_output.npy")));
    }

    [Fact]
    public async Task Pretrained_true_from_a_git_repo_downloads_hash_checked_weights_over_http_and_matches_pytorch()
    {
        using var temp = new TempDirectory();
        // The vision repo, committed to a real git repo served over file://.
        var git = new GitTestRepo(temp.Path, "vision");
        CopyTree(Vision, git.WorkDirectory);
        GitTestRepo.Git(git.WorkDirectory, "add", "-A");
        GitTestRepo.Git(git.WorkDirectory, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "vision");
        git.Push(GitTestRepo.Git(git.WorkDirectory, "rev-parse", "HEAD").Trim(), "main");

        // The weights, published under torch.hub's hash-in-name convention by a loopback HTTP server.
        var bytes = File.ReadAllBytes(RepoPaths.Fixture("resnet18", "resnet18.pt"));
        var name = $"resnet18-{Convert.ToHexStringLower(SHA256.HashData(bytes))[..8]}.pth";
        using var server = new LoopbackHttpServer();
        server.Serve("/models/" + name, bytes);

        var client = new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") });
        var options = new HubLoadOptions { TrustRepo = TrustRepo.Trust };
        var model = await client.LoadAsync<Module>(git.FileUrl + "#main", "resnet18", new { pretrained = true, weights_url = server.Url("/models/" + name) }, options);
        model.Eval();
        AssertClose(model.Call(Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_input.npy"))), Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_output.npy")));
        Assert.True(File.Exists(Path.Combine(client.HubDirectory, "checkpoints", name)));
        Assert.Equal(1, server.CompleteBodies("/models/" + name));

        // A second load uses the cached checkpoint: no new request even with the server gone.
        server.Dispose();
        var again = await new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") })
            .LoadAsync<Module>(git.FileUrl + "#main", "resnet18", new { pretrained = true, weights_url = server.Url("/models/" + name) }, options);
        Assert.Equal(model.StateDict().Count, again.StateDict().Count);

        // A file whose content does not match the hash in its name is refused, and nothing is cached.
        using var liar = new LoopbackHttpServer();
        var wrongName = "resnet18-00000000.pth";
        liar.Serve("/models/" + wrongName, bytes);
        var e = await Assert.ThrowsAsync<HubException>(() => client.LoadAsync<Module>(git.FileUrl + "#main", "resnet18", new { pretrained = true, weights_url = liar.Url("/models/" + wrongName) }, options));
        Assert.Contains("00000000", e.Message);
        Assert.False(File.Exists(Path.Combine(client.HubDirectory, "checkpoints", wrongName)));
    }

    [Fact]
    public async Task Weights_that_do_not_fit_the_model_name_the_problem()
    {
        var model = await hub.Client.LoadAsync<Module>(Vision, "resnet18", new { numClasses = 10 });
        var e = Assert.Throws<StateDictException>(() => model.LoadStateDict(Checkpoint.Load(RepoPaths.Fixture("resnet18", "resnet18.pt"))));
        Assert.Contains("fc.weight", e.Message);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(b.Length, a.Length);
        return a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
    }

    /// <summary>Relative closeness: max |a - b| over max |b| within 1e-4.</summary>
    private static void AssertClose(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var a = actual.ToArray();
        var b = expected.To(DType.Float32).ToArray();
        var scale = b.Max(Math.Abs);
        var relative = MaxAbsDiff(a, b) / scale;
        Assert.True(relative <= 1e-4, $"relative difference {relative}");
    }
}
