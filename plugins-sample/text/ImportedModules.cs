// Written by `hubhost import`; rewritten by every import into this folder.
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// A TorchScript model whose Python forward returns a dictionary of tensors (such as a segmentation model's
/// <c>out</c> and <c>aux</c>). TorchSharp's script modules return no dictionaries, so the archive returns the values
/// as a list in the order of <see cref="Keys"/>, and this module gives them their names back, in that order.
/// </summary>
public sealed class NamedOutputs : nn.Module<Tensor, Dictionary<string, Tensor>>
{
    private readonly jit.ScriptModule<Tensor, Tensor[]> model;
    private readonly string modelName;

    /// <summary>Wraps <paramref name="model"/>, whose outputs are named <paramref name="keys"/>, in order.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="model">The archive, returning the dictionary's values as a list.</param>
    /// <param name="keys">The dictionary's keys, in the order of the list.</param>
    public NamedOutputs(string name, jit.ScriptModule<Tensor, Tensor[]> model, string[] keys) : base(name)
    {
        this.model = model;
        modelName = name;
        Keys = keys;
        RegisterComponents();
    }

    /// <summary>The output names, in the dictionary's order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Runs the model and names its outputs.</summary>
    /// <param name="input">The model's input.</param>
    public override Dictionary<string, Tensor> forward(Tensor input) => OutputNames.Name(modelName, Keys, model.forward(input));

    /// <summary>The submodules, listed at once: Dispose walks them while it disposes them, and a disposed script module cannot list its own.</summary>
    public override IEnumerable<(string name, nn.Module module)> named_modules() => base.named_modules().ToList();
}

/// <summary><see cref="NamedOutputs"/> for a model taking several tensors.</summary>
public sealed class NamedOutputsOfMany : nn.Module<Tensor[], Dictionary<string, Tensor>>
{
    private readonly jit.ScriptModule<Tensor[]> model;
    private readonly string modelName;

    /// <summary>Wraps <paramref name="model"/>, whose outputs are named <paramref name="keys"/>, in order.</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="model">The archive, returning the dictionary's values as a list.</param>
    /// <param name="keys">The dictionary's keys, in the order of the list.</param>
    public NamedOutputsOfMany(string name, jit.ScriptModule<Tensor[]> model, string[] keys) : base(name)
    {
        this.model = model;
        modelName = name;
        Keys = keys;
        RegisterComponents();
    }

    /// <summary>The output names, in the dictionary's order.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Runs the model and names its outputs.</summary>
    /// <param name="inputs">The model's inputs, in the order of its forward's arguments.</param>
    public override Dictionary<string, Tensor> forward(Tensor[] inputs) => OutputNames.Name(modelName, Keys, model.forward(inputs));

    /// <summary>The submodules, listed at once: Dispose walks them while it disposes them, and a disposed script module cannot list its own.</summary>
    public override IEnumerable<(string name, nn.Module module)> named_modules() => base.named_modules().ToList();
}

internal static class OutputNames
{
    public static Dictionary<string, Tensor> Name(string model, IReadOnlyList<string> keys, Tensor[] values)
    {
        if (values.Length != keys.Count)
        {
            foreach (var v in values) v.Dispose();
            throw new InvalidOperationException($"{model} returned {values.Length} outputs where its archive was exported with {keys.Count} ({string.Join(", ", keys)}).");
        }
        var named = new Dictionary<string, Tensor>(keys.Count);
        for (var i = 0; i < keys.Count; i++) named[keys[i]] = values[i];
        return named;
    }
}
