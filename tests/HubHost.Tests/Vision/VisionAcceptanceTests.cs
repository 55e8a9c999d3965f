using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Tests.Downloads;
using HubHost.Tests.Sources.Git;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Vision;

/// <summary>
/// plugins-sample/vision (torchvision's hubconf for .NET) built and loaded by the hub, returning TorchSharp modules,
/// run on files real PyTorch 1.13 / torchvision 0.14 wrote (tests/fixtures/pytorch, resnet18, torchvision: each
/// folder has the script that made it).
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class VisionAcceptanceTests(SharedHub hub)
{
    internal static readonly string Vision = RepoPaths.Sample("vision");

    [Fact]
    public async Task Every_entrypoint_builds_and_returns_a_torchsharp_module_of_the_hosts_type()
    {
        var repo = await hub.Client.OpenAsync(Vision);
        Assert.Equal(26, repo.Entrypoints.Count);
        foreach (var entrypoint in repo.Entrypoints)
        {
            var made = await repo.InvokeAsync(entrypoint.Name);
            var model = Assert.IsAssignableFrom<nn.Module<Tensor, Tensor>>(made);
            Assert.True(model.training, $"{entrypoint.Name} comes back in training mode, as in torchvision");
            Assert.NotEmpty(model.parameters());
            model.Dispose();
        }
        // The vision build holds the repo's own dependencies but no TorchSharp or libtorch.
        var files = Directory.EnumerateFiles(Path.Combine(repo.BuildDirectory, "out"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("TorchVision.dll", files);
        Assert.DoesNotContain(files, f => f == "TorchSharp.dll" || f!.Contains("LibTorchSharp", StringComparison.Ordinal) || f.StartsWith("libtorch", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Digits_mlp_pretrained_from_the_repos_own_file_reproduces_pytorch_logits_and_accuracy()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("pytorch", "digits_mlp.json")));
        var inputs = doc.RootElement.GetProperty("test_inputs").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var labels = doc.RootElement.GetProperty("test_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var expected = doc.RootElement.GetProperty("expected_logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();

        using var model = await hub.Client.LoadAsync<nn.Module<Tensor, Tensor>>(Vision, "digits_mlp", new { pretrained = true });
        model.eval();
        using var _ = no_grad();
        using var logits = model.forward(tensor(inputs).reshape(labels.Length, 64));
        Assert.Equal([(long)labels.Length, 10], logits.shape);
        var maxAbs = (logits - tensor(expected).reshape(labels.Length, 10)).abs().max().item<float>();
        Assert.True(maxAbs <= 1e-5, $"max abs diff {maxAbs}");
        var predicted = logits.argmax(1).data<long>().ToArray();
        var accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
        Assert.Equal(doc.RootElement.GetProperty("accuracy").GetDouble(), accuracy, 4);
    }

    [Theory]
    [InlineData("squeezenet1_1", "pytorch", "squeezenet1_1")]   // defined in the repo as a TorchSharp module
    [InlineData("resnet18", "resnet18", "resnet18")]            // TorchVision
    [InlineData("mobilenet_v2", "torchvision", "mobilenet_v2")]
    [InlineData("vgg11_bn", "torchvision", "vgg11_bn")]
    public async Task A_model_with_weights_torch_save_wrote_reproduces_pytorchs_output(string entrypoint, string folder, string name)
    {
        using var temp = new TempDirectory();
        var weights = RepoPaths.Fixture(folder, name + ".pt");
        if (!File.Exists(weights)) weights = Gunzip(weights + ".gz", temp.Combine(name + ".pt"));
        var stateDict = Checkpoint.Load(weights);
        using (var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture(folder, name + ".json"))))
        {
            var digests = doc.RootElement.GetProperty("state_dict");
            Assert.Equal(digests.EnumerateObject().Count(), stateDict.Count);
            foreach (var (key, tensor) in stateDict)
                Assert.Equal(digests.GetProperty(key).GetProperty("sha256").GetString(), TensorDigest.Sha256(tensor));
        }
        using var model = await hub.Client.LoadAsync<nn.Module<Tensor, Tensor>>(Vision, entrypoint);
        model.load_state_dict(stateDict, strict: true);
        foreach (var t in stateDict.Values) t.Dispose();
        model.eval();
        using var _ = no_grad();
        using var output = model.forward(Npy.Load(RepoPaths.Fixture(folder, name + "_input.npy")));
        TorchAssert.Close(Npy.Load(RepoPaths.Fixture(folder, name + "_output.npy")), output);
    }

    [Fact]
    public async Task Pretrained_true_from_a_git_repo_downloads_hash_checked_weights_over_http_and_matches_pytorch()
    {
        using var temp = new TempDirectory();
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
        using var input = Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_input.npy"));
        using var expected = Npy.Load(RepoPaths.Fixture("resnet18", "resnet18_output.npy"));
        using (var model = await client.LoadAsync<nn.Module<Tensor, Tensor>>(git.FileUrl + "#main", "resnet18", new { pretrained = true, weights_url = server.Url("/models/" + name) }, options))
        {
            model.eval();
            using var _ = no_grad();
            TorchAssert.Close(expected, model.forward(input));
        }
        Assert.True(File.Exists(DownloadTestBase.CachedPath(client.HubDirectory, server.Url("/models/" + name))));
        Assert.Equal(1, server.CompleteBodies("/models/" + name));

        // A second load in a new client uses the cached checkpoint, with the server gone.
        server.Dispose();
        using (var again = await new HubClient(new HubOptions { HubDirectory = temp.Combine("hub") })
                   .LoadAsync<nn.Module<Tensor, Tensor>>(git.FileUrl + "#main", "resnet18", new { pretrained = true, weights_url = server.Url("/models/" + name) }, options))
        {
            again.eval();
            using var _ = no_grad();
            TorchAssert.Close(expected, again.forward(input));
        }

        // A file whose content does not match the hash in its name is refused, and nothing is cached.
        using var liar = new LoopbackHttpServer();
        var wrongName = "resnet18-00000000.pth";
        liar.Serve("/models/" + wrongName, bytes);
        var e = await Assert.ThrowsAsync<HubException>(() => client.LoadAsync<nn.Module<Tensor, Tensor>>(git.FileUrl + "#main", "resnet18", new { pretrained = true, weights_url = liar.Url("/models/" + wrongName) }, options));
        Assert.Contains("00000000", e.Message);
        Assert.False(File.Exists(DownloadTestBase.CachedPath(client.HubDirectory, liar.Url("/models/" + wrongName))));
    }

    [Fact]
    public async Task Weights_names_and_class_counts_are_checked_as_torchvision_does()
    {
        var repo = await hub.Client.OpenAsync(Vision);
        var e = await Assert.ThrowsAsync<HubException>(() => repo.InvokeAsync("resnet50", new { weights = "IMAGENET1K_V9" }));
        Assert.Contains("IMAGENET1K_V1, IMAGENET1K_V2", e.Message);
        e = await Assert.ThrowsAsync<HubException>(() => repo.InvokeAsync("resnet18", new { pretrained = true, num_classes = 10 }));
        Assert.Contains("numClasses=10 does not fit", e.Message);
    }

    internal static string Gunzip(string gz, string target)
    {
        using var source = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
        using var destination = File.Create(target);
        source.CopyTo(destination);
        return target;
    }

    internal static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj") continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }
}
