using System.Collections;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace HubHost.Inference;

/// <summary>How <see cref="InferenceExtensions.ForInference{TResult}"/> prepares a model.</summary>
public sealed record InferenceOptions
{
    /// <summary>Fold each batch norm into the convolution before it (exact up to float rounding, verified on the example). Default true.</summary>
    public bool FoldBatchNorm { get; init; } = true;

    /// <summary>
    /// Store 4-d convolution weights and give 4-d inputs channels-last (NHWC) strides, so libtorch's oneDNN convolutions
    /// skip their layout conversions (resnet18: 0.7x the time at batch 1 and 8, docs/design.md). Default true; left off
    /// by itself when the model fails on channels-last tensors (a <c>view</c> of a convolution's output).
    /// </summary>
    public bool ChannelsLast { get; init; } = true;
}

/// <summary>Preparing a TorchSharp model for fast, exact inference in one call.</summary>
public static class InferenceExtensions
{
    /// <summary>
    /// Prepares <paramref name="model"/> for inference and returns it wrapped: eval mode, batch norms folded into the
    /// convolutions before them (found by running the model once on <paramref name="example"/>, and verified by running it
    /// again: nothing is folded when the outputs differ), and every forward run under <c>torch.inference_mode()</c>.
    /// The model is changed in place and owned by the returned module (disposing it disposes the model).
    /// </summary>
    /// <typeparam name="TResult">What the model returns.</typeparam>
    /// <param name="model">The model (a TorchSharp module taking one tensor).</param>
    /// <param name="example">An input of the kind it will be run on (its values do not matter; batch 1 is enough).</param>
    /// <param name="options">What to do; null for the defaults.</param>
    /// <returns>The prepared model: call it as the model. Its outputs are inference tensors (no autograd).</returns>
    public static InferenceModule<TResult> ForInference<TResult>(this nn.Module<Tensor, TResult> model, Tensor example, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(example);
        return new InferenceModule<TResult>(model, example, options ?? new InferenceOptions());
    }
}

/// <summary>
/// A TorchSharp model prepared for inference by <see cref="InferenceExtensions.ForInference{TResult}"/>: its forward runs
/// the model under <c>torch.inference_mode()</c>. Registered as its child <c>model</c>, so <c>state_dict()</c> keys start
/// with <c>model.</c>.
/// </summary>
/// <typeparam name="TResult">What the model returns.</typeparam>
public sealed class InferenceModule<TResult> : nn.Module<Tensor, TResult>
{
    private readonly nn.Module<Tensor, TResult> _model;

    internal InferenceModule(nn.Module<Tensor, TResult> model, Tensor example, InferenceOptions options) : base("InferenceModule")
    {
        _model = model;
        register_module("model", model);
        model.eval();
        ChannelsLast = options.ChannelsLast && InferenceLayout.ToChannelsLast(model) > 0;
        try
        {
            Prepare(example, options);
        }
        catch (Exception e) when (ChannelsLast && e is ExternalException or InvalidOperationException or ArgumentException)
        {
            // A model that views a convolution's output as if contiguous fails on channels-last tensors: run it as it was.
            InferenceLayout.ToContiguous(model);
            ChannelsLast = false;
            NotChannelsLast = e.Message.Split('\n', 2)[0].Trim();
            Prepare(example, options);
        }
        eval();
    }

    private void Prepare(Tensor example, InferenceOptions options)
    {
        if (options.FoldBatchNorm)
        {
            var folded = BatchNormFolding.Fold(_model, () => Output(forward(example)));
            FoldedBatchNorms = folded.Folded;
            NotFolded = folded.Reverted;
        }
        else if (ChannelsLast)
        {
            using var scope = NewDisposeScope();
            forward(example);
        }
    }

    /// <summary>The model, as prepared.</summary>
    public nn.Module<Tensor, TResult> Model => _model;

    /// <summary>How many batch norms were folded into convolutions.</summary>
    public int FoldedBatchNorms { get; private set; }

    /// <summary>Why nothing was folded although batch norms after convolutions were found; null otherwise.</summary>
    public string? NotFolded { get; private set; }

    /// <summary>Whether convolution weights and 4-d inputs are channels-last.</summary>
    public bool ChannelsLast { get; private set; }

    /// <summary>Why channels-last was asked for but left off (the model's error on channels-last tensors); null otherwise.</summary>
    public string? NotChannelsLast { get; private set; }

    /// <summary>Runs the model on <paramref name="input"/> under <c>torch.inference_mode()</c>.</summary>
    /// <param name="input">The input.</param>
    public override TResult forward(Tensor input)
    {
        using var mode = inference_mode();
        if (!ChannelsLast || input.dim() != 4) return _model.call(input);
        using var nhwc = InferenceLayout.ChannelsLastCopy(input);
        return _model.call(nhwc);
    }

    /// <summary>The one tensor the folding check compares: the output, or its tensors flattened and joined.</summary>
    private static Tensor Output(TResult result)
    {
        var tensors = new List<Tensor>();
        Collect(result, tensors);
        if (tensors.Count == 0) throw new HubException($"The model returned {result?.GetType().Name ?? "null"}, which holds no tensors, so its batch norms cannot be folded: set FoldBatchNorm = false.");
        return tensors.Count == 1 ? tensors[0] : cat(tensors.Select(t => t.to(ScalarType.Float64).flatten()).ToList(), 0);
    }

    private static void Collect(object? value, List<Tensor> into)
    {
        switch (value)
        {
            case Tensor t:
                into.Add(t);
                break;
            case IDictionary dictionary:
                foreach (DictionaryEntry e in dictionary) Collect(e.Value, into);
                break;
            case ITuple tuple:
                for (var i = 0; i < tuple.Length; i++) Collect(tuple[i], into);
                break;
            case IEnumerable items and not string:
                foreach (var item in items) Collect(item, into);
                break;
        }
    }
}

/// <summary>Channels-last (NHWC) strides for 4-d tensors; TorchSharp 0.107 has no <c>memory_format</c> argument, so by permutes.</summary>
internal static class InferenceLayout
{
    /// <summary>A channels-last copy of a 4-d tensor: same shape [N, C, H, W], strides of NHWC.</summary>
    internal static Tensor ChannelsLastCopy(Tensor x) => x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>Gives every 2-d convolution's weight channels-last strides; returns how many.</summary>
    internal static int ToChannelsLast(nn.Module model) => Relayout(model, ChannelsLastCopy);

    /// <summary>Gives every 2-d convolution's weight contiguous (NCHW) strides again.</summary>
    internal static int ToContiguous(nn.Module model) => Relayout(model, w => w.contiguous());

    private static int Relayout(nn.Module model, Func<Tensor, Tensor> layout)
    {
        var count = 0;
        using var noGrad = no_grad();
        foreach (var module in model.modules().Prepend(model))
        {
            if (module is not Convolution conv || conv.weight.dim() != 4) continue;
            conv.weight = nn.Parameter(layout(conv.weight).detach().clone(), requires_grad: conv.weight.requires_grad);
            count++;
        }
        return count;
    }
}
