using System.Reflection;
using HubHost.Entrypoints;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Running;

/// <summary>
/// What an entrypoint made, as a model that <c>hubhost run</c>, <c>hubhost compare</c> and
/// <see cref="HubClient.CompareModelsAsync"/> run (made by <see cref="ModelRunner.AsModel"/>): a TorchScript module
/// (<c>torch.jit.ScriptModule</c>, typed or not: as many tensor inputs as its forward takes) or a TorchSharp module
/// taking one tensor (<c>nn.IModule&lt;Tensor, TResult&gt;</c>), two (<c>nn.IModule&lt;Tensor, Tensor, TResult&gt;</c>)
/// or any number (<c>nn.IModule&lt;Tensor[], TResult&gt;</c>), called through its <c>call</c> (forward with its hooks, as
/// PyTorch's <c>model(x)</c>). Disposing it disposes the module.
/// </summary>
internal sealed class RunnableModel : IDisposable
{
    private readonly object _model;
    private readonly IReadOnlyList<CallForm> _forms;

    private RunnableModel(object model, IReadOnlyList<CallForm> forms, string name)
    {
        _model = model;
        _forms = forms;
        Name = name;
        Module = model as nn.Module;
        TypeName = CSharpNames.Type(model.GetType());
        IsScript = model is jit.ScriptModule;
    }

    /// <summary>The model as messages name it (<c>resnet18 of owner/vision</c>).</summary>
    public string Name { get; }

    /// <summary>The model's type as C# writes it (<c>jit.ScriptModule&lt;Tensor, Tensor&gt;</c>, <c>ResNet</c>).</summary>
    public string TypeName { get; }

    /// <summary>The module (its weights, eval mode); null for a callable that is not a <c>torch.nn.Module</c>.</summary>
    public nn.Module? Module { get; }

    /// <summary>Whether it is a TorchScript module (code that libtorch interprets).</summary>
    public bool IsScript { get; }

    /// <summary>How many inputs it takes, as text (<c>1 tensor</c>, <c>2 tensors</c>, <c>up to 3 tensors</c>, <c>any number of tensors</c>).</summary>
    public string Inputs => string.Join(" or ", _forms.Select(f => f.Describe()));

    /// <summary>The number of parameter elements (0 for a callable that is not a module).</summary>
    public long ParameterCount => Module?.parameters().Sum(p => p.numel()) ?? 0;

    /// <summary>Disposes the module.</summary>
    public void Dispose()
    {
        try
        {
            (_model as IDisposable)?.Dispose();
        }
        catch (ObjectDisposedException) when (_model is nn.Module and not jit.ScriptModule)
        {
            // TorchSharp 0.107's Module.Dispose disposes each submodule while it still enumerates them: a TorchScript
            // submodule (a TorchSharp module wrapping a script module) is asked for its own submodules after it was
            // disposed. Everything but the wrapper's own native handle is disposed by then; that handle is a SafeHandle,
            // released by its finalizer.
        }
    }

    /// <summary>The model made by an entrypoint, or null when it is no model that takes tensors.</summary>
    internal static RunnableModel? From(object? made, string name)
    {
        if (made is null) return null;
        if (made is jit.ScriptModule script)
        {
            // forward's declared arguments: fewer may do (those with defaults), which libtorch checks and names.
            var declared = script.GetNumberOfInputs();
            var text = declared == 1 ? "1 tensor" : $"{declared} tensors";
            return new RunnableModel(made, [new CallForm(1, Math.Max(1, declared), inputs => script.forward([.. inputs]), text)], name);
        }
        var forms = new List<CallForm>();
        foreach (var face in made.GetType().GetInterfaces().Where(i => i.IsGenericType))
        {
            var definition = face.GetGenericTypeDefinition();
            var arguments = face.GetGenericArguments();
            // The interfaces' one method is call: forward with the module's hooks, as PyTorch's model(x).
            var forward = face.GetMethod("call");
            if (forward is null) continue;
            if (definition == typeof(nn.IModule<,>) && arguments[0] == typeof(Tensor))
                forms.Add(new CallForm(1, 1, inputs => Call(forward, made, inputs[0])));
            else if (definition == typeof(nn.IModule<,>) && arguments[0] == typeof(Tensor[]))
                forms.Add(new CallForm(1, int.MaxValue, inputs => Call(forward, made, inputs)));
            else if (definition == typeof(nn.IModule<,,>) && arguments[0] == typeof(Tensor) && arguments[1] == typeof(Tensor))
                forms.Add(new CallForm(2, 2, inputs => Call(forward, made, inputs[0], inputs[1])));
        }
        return forms.Count == 0 ? null : new RunnableModel(made, forms.OrderBy(f => f.Max).ThenBy(f => f.Min).ToList(), name);
    }

    /// <summary>How to call it with <paramref name="count"/> inputs, or null when it does not take that many.</summary>
    internal Func<Tensor[], object?>? CallWith(int count) => _forms.FirstOrDefault(f => count >= f.Min && count <= f.Max)?.Call;

    /// <summary>The most inputs it takes.</summary>
    internal int MaxInputs => _forms.Max(f => f.Max);

    /// <summary>
    /// The dtype floating-point inputs are given in: the dtype of the model's first floating-point parameter or buffer
    /// (float32 for almost every model), or null (as saved) for a model without any.
    /// </summary>
    internal ScalarType? FloatingType()
    {
        if (Module is null) return null;
        foreach (var p in Module.parameters())
            if (p.is_floating_point()) return p.dtype;
        foreach (var b in Module.buffers())
            if (b.is_floating_point()) return b.dtype;
        return null;
    }

    private static object? Call(MethodInfo forward, object target, params object[] arguments)
        => forward.Invoke(target, BindingFlags.DoNotWrapExceptions, null, arguments, null);

    /// <summary>One way to call the model: with <see cref="Min"/> to <see cref="Max"/> tensors.</summary>
    private sealed record CallForm(int Min, int Max, Func<Tensor[], object?> Call, string? Text = null)
    {
        public string Describe() => Text ?? (Min, Max) switch
        {
            (_, int.MaxValue) => "any number of tensors",
            _ when Min == Max => Min == 1 ? "1 tensor" : $"{Min} tensors",
            _ => $"up to {Max} tensors",
        };
    }
}
