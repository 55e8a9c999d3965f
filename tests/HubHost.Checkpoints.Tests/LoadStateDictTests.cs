using HubHost.Checkpoints;
using HubHost.Native;
using static TorchSharp.torch.nn;

namespace HubHost.Checkpoints.Tests;

/// <summary>What the readers are for: a TorchSharp module loads the state dict and computes what PyTorch computed.</summary>
public class LoadStateDictTests
{
    public static TheoryData<CheckpointReadMode, bool> Modes() => new()
    {
        { CheckpointReadMode.MemoryMap, false },
        { CheckpointReadMode.Copy, false },
        { CheckpointReadMode.MemoryMap, true },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void The_digits_mlp_loaded_into_a_torchsharp_module_reproduces_pytorchs_logits(CheckpointReadMode mode, bool viaSafetensors)
    {
        TorchNative.EnsureLoaded();
        var json = Fixtures.Json("pytorch/digits_mlp.json");
        var path = Fixtures.Path("pytorch/digits_mlp.pt");
        using var dir = new TempDir();
        if (viaSafetensors)
        {
            var converted = dir.Path("digits_mlp.safetensors");
            Safetensors.Save(converted, Checkpoint.Load(path));
            path = converted;
        }
        using var model = Sequential(("0", Linear(64, 32)), ("1", ReLU()), ("2", Linear(32, 10)));
        var (missing, unexpected) = model.load_state_dict(Checkpoint.Load(path, mode));
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        model.eval();

        var inputs = json.GetProperty("test_inputs").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var expected = json.GetProperty("expected_logits").EnumerateArray().SelectMany(r => r.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var labels = json.GetProperty("test_labels").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        using var x = torch.tensor(inputs).reshape(labels.Length, 64);
        using var logits = model.forward(x);
        using var reference = torch.tensor(expected).reshape(labels.Length, 10);
        Assert.True(logits.allclose(reference, rtol: 1e-5, atol: 1e-5), $"max difference {(logits - reference).abs().max().item<float>()}");
        using var predicted = logits.argmax(1);
        using var truth = torch.tensor(labels);
        double accuracy = predicted.eq(truth).to(ScalarType.Float64).mean().item<double>();
        Assert.Equal(json.GetProperty("accuracy").GetDouble(), accuracy, 6);
    }
}
