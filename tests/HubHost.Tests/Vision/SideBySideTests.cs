using System.Runtime.CompilerServices;
using System.Text.Json;
using HubHost.Checkpoints;
using HubHost.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Tests.Vision;

/// <summary>
/// Two versions of the vision repo in one process (the second ships digits weights trained differently, made by
/// tests/fixtures/digits-v2/make_digits_v2.py), and the unload of a repo-defined TorchSharp module's context.
/// </summary>
[Collection(SharedHubCollection.Name)]
public sealed class SideBySideTests(SharedHub hub) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private string VisionV2()
    {
        var v2 = _temp.Combine("vision-v2");
        VisionAcceptanceTests.CopyTree(VisionAcceptanceTests.Vision, v2);
        File.Copy(RepoPaths.Fixture("digits-v2", "digits_mlp_v2.pt"), Path.Combine(v2, "digits_mlp.pt"), overwrite: true);
        return v2;
    }

    [Fact]
    public async Task Two_versions_of_the_vision_repo_return_modules_side_by_side_and_compare_as_pytorch_says()
    {
        var v2 = VisionV2();
        var a = await hub.Client.OpenAsync(VisionAcceptanceTests.Vision);
        var b = await hub.Client.OpenAsync(v2);
        Assert.NotEqual(a.LoadContextName, b.LoadContextName);
        using var modelA = (nn.Module<Tensor, Tensor>)(await a.InvokeAsync("squeezenet1_1"))!;
        using var modelB = (nn.Module<Tensor, Tensor>)(await b.InvokeAsync("squeezenet1_1"))!;
        // Same type name, two load contexts: each version runs its own code.
        Assert.Equal(modelA.GetType().FullName, modelB.GetType().FullName);
        Assert.NotSame(modelA.GetType(), modelB.GetType());

        using var input = Npy.Load(RepoPaths.Fixture("digits-v2", "test_inputs.npy"));
        var comparison = await hub.Client.CompareModelsAsync(VisionAcceptanceTests.Vision, v2, "digits_mlp", [input], new { pretrained = true });
        using var doc = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("digits-v2", "digits_mlp_v2.json")));
        Assert.Equal([297L, 10L], comparison.A.OutputShape);
        Assert.Equal([297L, 10L], comparison.B.OutputShape);
        Assert.Equal(doc.RootElement.GetProperty("top1_agreement_with_v1").GetDouble(), comparison.Top1Agreement!.Value, 6);
        Assert.Equal(doc.RootElement.GetProperty("max_abs_difference_from_v1").GetDouble(), comparison.MaxAbsoluteDifference!.Value, 4);
        Assert.InRange(comparison.MaxRelativeDifference!.Value, 0.01, 10);
        Assert.Equal(2410, comparison.A.Parameters);
    }

    [Fact]
    public async Task Comparing_models_whose_outputs_differ_in_shape_reports_both_shapes_and_no_difference()
    {
        using var input = randn(1, 3, 64, 64);
        var comparison = await hub.Client.CompareModelsAsync(VisionAcceptanceTests.Vision, VisionAcceptanceTests.Vision, "squeezenet1_1", [input], new { num_classes = 7 });
        Assert.True(comparison.SameShape);
        Assert.Equal([1L, 7L], comparison.A.OutputShape);
        // Two random initializations disagree (a real difference is measured).
        Assert.True(comparison.MaxAbsoluteDifference > 0);
        var e = await Assert.ThrowsAsync<HubException>(() => hub.Client.CompareModelsAsync(RepoPaths.Sample("hello"), RepoPaths.Sample("hello"), "greet", [input]));
        Assert.Contains("not a model taking tensors", e.Message);
    }

    [Fact]
    public void A_released_vision_version_with_a_repo_defined_torchsharp_module_is_collected()
    {
        var client = new HubClient(new HubOptions { HubDirectory = hub.HubDirectory });
        var (contextRef, moduleRef) = LoadRunAndRelease(client);
        for (var i = 0; i < 30 && (contextRef.IsAlive || moduleRef.IsAlive); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(moduleRef.IsAlive, "the SqueezeNet module should be collected");
        Assert.False(contextRef.IsAlive, "the released load context should be collected");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Context, WeakReference Module) LoadRunAndRelease(HubClient client)
    {
        var repo = client.OpenAsync(VisionAcceptanceTests.Vision).GetAwaiter().GetResult();
        var model = (nn.Module<Tensor, Tensor>)repo.InvokeAsync("squeezenet1_1", new { num_classes = 10 }).GetAwaiter().GetResult()!;
        Assert.Equal("SqueezeNet", model.GetType().Name);
        model.eval();
        using (no_grad())
        using (var x = randn(1, 3, 64, 64))
        using (var y = model.forward(x))
            Assert.Equal([1L, 10L], y.shape);
        var result = (new WeakReference(repo.LoadContext), new WeakReference(model));
        model.Dispose();
        repo.Dispose();
        return result;
    }
}
