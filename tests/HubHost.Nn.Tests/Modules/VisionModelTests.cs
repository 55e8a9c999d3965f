using HubHost.Nn.Modules;
using Vision.Models;

namespace HubHost.Nn.Tests.Modules;

/// <summary>
/// The vision hub repo's architectures (plugins-sample/vision/Models) against torchvision 0.14: state dict keys,
/// order, shapes and dtypes, and the eval output with every entry filled by the same formula on both sides.
/// </summary>
public class VisionModelTests
{
    private static Module Build(string name) => name switch
    {
        "resnet18" => new ResNet(bottleneck: false, [2, 2, 2, 2]),
        "resnet18_10_classes" => new ResNet(bottleneck: false, [2, 2, 2, 2], numClasses: 10),
        "resnet50" => new ResNet(bottleneck: true, [3, 4, 6, 3]),
        "squeezenet1_1" => new SqueezeNet("1_1"),
        "squeezenet1_0" => new SqueezeNet("1_0"),
        "digits_mlp" => new Sequential(new Linear(64, 32), new ReLU(), new Linear(32, 10)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet18_10_classes")]
    [InlineData("resnet50")]
    [InlineData("squeezenet1_1")]
    [InlineData("squeezenet1_0")]
    [InlineData("digits_mlp")]
    public void State_dict_matches_torchvision_keys_shapes_and_dtypes(string name)
    {
        var expected = References.Models.Json.GetProperty("models").GetProperty(name).GetProperty("state_dict").EnumerateArray()
            .Select(e => (Key: e.GetProperty("key").GetString()!, Shape: e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), DType: e.GetProperty("dtype").GetString()!))
            .ToList();
        var actual = Build(name).StateDict();
        Assert.Equal(expected.Select(e => e.Key), actual.Keys);
        foreach (var (key, shape, dtype) in expected)
        {
            Assert.True(shape.SequenceEqual(actual[key].Shape), $"{key}: torchvision [{string.Join(", ", shape)}], ours {actual[key]}");
            Assert.Equal(dtype == "int64" ? DType.Int64 : DType.Float32, actual[key].DType);
        }
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("squeezenet1_1")]
    public void Eval_output_matches_torchvision_with_the_same_weights(string name)
    {
        var entry = References.Models.Json.GetProperty("models").GetProperty(name);
        var model = Build(name);
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        FormulaFill(state, model.StateDict().Keys.ToList());
        model.LoadStateDict(state);
        model.Eval();
        var expected = References.Models.Read(entry.GetProperty("output"));
        var output = model.Forward(References.Models.Read(entry.GetProperty("input")));
        double scale = expected.ToArray().Max(v => Math.Abs(v));
        TensorAssert.Close(expected, output, atol: 2e-4 * scale, rtol: 1e-3);
        Assert.Equal(expected.ArgMax(1).ToInt64Array(), output.ArgMax(1).ToInt64Array());
    }

    /// <summary>The same values as make_references.py's formula_fill: entry t (state dict order), element i.</summary>
    private static void FormulaFill(Dictionary<string, Tensor> state, List<string> order)
    {
        for (int t = 0; t < order.Count; t++)
        {
            string key = order[t];
            var tensor = state[key];
            if (tensor.DType != DType.Float32) continue;
            var values = new float[tensor.NumberOfElements];
            long fanIn = tensor.Rank > 1 ? tensor.NumberOfElements / tensor.Size(0) : 1;
            for (int i = 0; i < values.Length; i++)
            {
                double u = unchecked((uint)i * 2654435761u + (uint)(t + 1) * 40503u) / 4294967296.0;
                double v;
                if (key.EndsWith("running_var", StringComparison.Ordinal)) v = 0.5 + u;
                else if (key.EndsWith("running_mean", StringComparison.Ordinal) || key.EndsWith("bias", StringComparison.Ordinal)) v = 0.2 * (u - 0.5);
                else if (tensor.Rank == 1) v = 0.8 + 0.4 * u;
                else v = (2 * u - 1) * Math.Sqrt(6.0 / fanIn);
                values[i] = (float)v;
            }
            state[key] = Tensor.FromArray(values, [.. tensor.Shape]);
        }
    }
}
