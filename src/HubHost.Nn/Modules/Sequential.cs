namespace HubHost.Nn.Modules;

/// <summary>
/// Runs its children in order, each on the previous one's output (torch.nn.Sequential). Children are named
/// "0", "1", ... (or given names), so their state dict keys read "0.weight", "features.3.squeeze.weight".
/// </summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _items = [];

    /// <summary>Creates an empty container (add children with <see cref="Append"/>).</summary>
    public Sequential()
    {
    }

    /// <summary>Creates the container with children named by position.</summary>
    /// <param name="modules">The children, in order.</param>
    public Sequential(params Module[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var m in modules) Append(m);
    }

    /// <summary>Creates the container with named children (torch's Sequential(OrderedDict(...))).</summary>
    /// <param name="modules">(name, child) pairs, in order.</param>
    public Sequential(params (string Name, Module Module)[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var (name, m) in modules)
        {
            ArgumentNullException.ThrowIfNull(m);
            RegisterModule(name, m);
            _items.Add(m);
        }
    }

    /// <summary>Adds a child at the end, named by its position.</summary>
    /// <param name="module">The child.</param>
    /// <returns>This container.</returns>
    public Sequential Append(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    /// <summary>Number of children.</summary>
    public int Count => _items.Count;

    /// <summary>The child at <paramref name="index"/> (negative counts from the end).</summary>
    public Module this[int index] => _items[index < 0 ? index + _items.Count : index];

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var m in _items) x = m.Forward(x);
        return x;
    }
}
