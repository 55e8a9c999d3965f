using System.Text;

namespace HubHost.Nn.Modules;

/// <summary>
/// Base class of layers and models, in the shape of torch.nn.Module (TorchSharp's torch.nn.Module): named
/// parameters, buffers and child modules registered in order, a state dict with PyTorch's key names and
/// order, train/eval mode, and <see cref="Forward"/>.
/// </summary>
public abstract class Module
{
    private readonly OrderedDictionary<string, Tensor?> _parameters = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, Tensor?> _buffers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nonPersistentBuffers = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, Module?> _modules = new(StringComparer.Ordinal);

    /// <summary>Whether the module is in training mode (the default) rather than evaluation mode.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Computes the module's output (torch's <c>forward</c>).</summary>
    /// <param name="input">The input tensor.</param>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Runs the module on <paramref name="input"/> (torch's <c>module(input)</c>, TorchSharp's <c>call</c>).</summary>
    /// <param name="input">The input tensor.</param>
    public Tensor Call(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Forward(input);
    }

    /// <summary>Sets training mode (<paramref name="mode"/> true) or evaluation mode on this module and all descendants.</summary>
    /// <param name="mode">True for training, false for evaluation.</param>
    /// <returns>This module.</returns>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in NamedChildren()) child.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode (Dropout becomes identity, BatchNorm uses its running statistics).</summary>
    /// <returns>This module.</returns>
    public Module Eval() => Train(false);

    /// <summary>Adds (or replaces, keeping its position) a child module (torch's <c>register_module</c>/<c>add_module</c>).</summary>
    /// <param name="name">Name of the child; becomes part of state dict keys ("name.weight"). No dots.</param>
    /// <param name="module">The child, or null for an empty slot.</param>
    protected void RegisterModule(string name, Module? module)
    {
        CheckName(name, _modules);
        _modules[name] = module;
    }

    /// <summary>Adds (or replaces, keeping its position) a parameter (torch's <c>register_parameter</c>).</summary>
    /// <param name="name">Name of the parameter. No dots.</param>
    /// <param name="parameter">The tensor, or null for an absent parameter (e.g. a layer without bias), left out of the state dict.</param>
    protected void RegisterParameter(string name, Tensor? parameter)
    {
        CheckName(name, _parameters);
        _parameters[name] = parameter;
    }

    /// <summary>Adds (or replaces, keeping its position) a buffer: state that is not a parameter, e.g. running statistics (torch's <c>register_buffer</c>).</summary>
    /// <param name="name">Name of the buffer. No dots.</param>
    /// <param name="buffer">The tensor, or null for an absent buffer.</param>
    /// <param name="persistent">Whether the buffer is part of the state dict.</param>
    protected void RegisterBuffer(string name, Tensor? buffer, bool persistent = true)
    {
        CheckName(name, _buffers);
        _buffers[name] = buffer;
        if (persistent) _nonPersistentBuffers.Remove(name);
        else _nonPersistentBuffers.Add(name);
    }

    private void CheckName<T>(string name, OrderedDictionary<string, T> own)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.'))
            throw new ArgumentException($"Name \"{name}\" must not contain a dot: dots separate module names in state dict keys.", nameof(name));
        bool elsewhere = (!ReferenceEquals(own, _parameters) && _parameters.ContainsKey(name))
            || (!ReferenceEquals(own, _buffers) && _buffers.ContainsKey(name))
            || (!ReferenceEquals(own, _modules) && _modules.ContainsKey(name));
        if (elsewhere)
            throw new ArgumentException($"{GetType().Name} already has a parameter, buffer or module named \"{name}\".", nameof(name));
    }

    /// <summary>The direct children with their names, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        foreach (var (name, module) in _modules)
            if (module is not null) yield return (name, module);
    }

    /// <summary>This module (name "") and all descendants with dotted names, depth first, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return Walk(this, "", seen);

        static IEnumerable<(string, Module)> Walk(Module module, string prefix, HashSet<Module> seen)
        {
            if (!seen.Add(module)) yield break;
            yield return (prefix, module);
            foreach (var (name, child) in module.NamedChildren())
                foreach (var item in Walk(child, prefix.Length == 0 ? name : prefix + "." + name, seen))
                    yield return item;
        }
    }

    /// <summary>Parameters with dotted names ("layer1.0.conv1.weight"), own first then each child's; a tensor shared under two names is listed once.</summary>
    /// <param name="recurse">Include the descendants' parameters.</param>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(bool recurse = true)
        => Named(m => m._parameters, recurse, _ => true);

    /// <summary>All parameters (see <see cref="NamedParameters"/>).</summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Buffers with dotted names ("bn1.running_mean"), persistent or not, own first then each child's.</summary>
    /// <param name="recurse">Include the descendants' buffers.</param>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(bool recurse = true)
        => Named(m => m._buffers, recurse, _ => true);

    private IEnumerable<(string, Tensor)> Named(Func<Module, OrderedDictionary<string, Tensor?>> select, bool recurse, Func<string, bool> include)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var modules = recurse ? NamedModules() : [("", this)];
        foreach (var (prefix, module) in modules)
            foreach (var (name, tensor) in select(module))
                if (tensor is not null && include(name) && seen.Add(tensor))
                    yield return (prefix.Length == 0 ? name : prefix + "." + name, tensor);
    }

    /// <summary>
    /// Every parameter and persistent buffer by PyTorch's key ("features.0.weight", "bn1.num_batches_tracked"),
    /// in PyTorch's order: per module its parameters, then its buffers, then its children. The values are the
    /// module's own tensors (not copies).
    /// </summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, _, tensor) in StateEntries()) result[key] = tensor;
        return result;
    }

    /// <summary>(key, owning module, tensor) for each parameter and persistent buffer, in state dict order.</summary>
    private IEnumerable<(string Key, Module Owner, Tensor Tensor)> StateEntries()
    {
        foreach (var (prefix, module) in NamedModules())
        {
            string p = prefix.Length == 0 ? "" : prefix + ".";
            foreach (var (name, tensor) in module._parameters)
                if (tensor is not null) yield return (p + name, module, tensor);
            foreach (var (name, tensor) in module._buffers)
                if (tensor is not null && !module._nonPersistentBuffers.Contains(name)) yield return (p + name, module, tensor);
        }
    }

    /// <summary>
    /// Copies parameters and persistent buffers from <paramref name="stateDict"/> (torch's <c>load_state_dict</c>),
    /// converting any dtype to the module's (float32). Everything is checked before anything is copied: on an
    /// exception the module is unchanged.
    /// </summary>
    /// <param name="stateDict">Tensors by PyTorch key, e.g. from a checkpoint.</param>
    /// <param name="strict">Require the keys to match exactly (no missing, no unexpected keys).</param>
    /// <returns>The missing and unexpected keys (both empty when strict).</returns>
    /// <exception cref="StateDictException">A tensor's shape differs from the module's, or (when strict) keys are missing or unexpected; the message lists them all.</exception>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var missing = new List<string>();
        var mismatches = new List<string>();
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        var copies = new List<(Tensor Target, Tensor Source)>();
        foreach (var (key, owner, target) in StateEntries())
        {
            if (!stateDict.TryGetValue(key, out var source) || source is null)
            {
                if (!owner.IsOptionalStateKey(key[(key.LastIndexOf('.') + 1)..])) missing.Add(key);
                continue;
            }
            consumed.Add(key);
            bool scalarFromOne = target.Rank == 0 && source.Rank == 1 && source.Size(0) == 1;
            if (!scalarFromOne && !target.Shape.SequenceEqual(source.Shape))
            {
                mismatches.Add($"size mismatch for {key}: copying a param with shape [{string.Join(", ", source.Shape)}] from checkpoint, the shape in current model is [{string.Join(", ", target.Shape)}].");
                continue;
            }
            copies.Add((target, source));
        }
        var unexpected = stateDict.Keys.Where(k => !consumed.Contains(k)).ToList();
        if (mismatches.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var message = new StringBuilder($"Error(s) in loading state_dict for {GetType().Name}:");
            if (strict && unexpected.Count > 0) message.Append($"\n\tUnexpected key(s) in state_dict: {string.Join(", ", unexpected.Select(k => $"\"{k}\""))}.");
            if (strict && missing.Count > 0) message.Append($"\n\tMissing key(s) in state_dict: {string.Join(", ", missing.Select(k => $"\"{k}\""))}.");
            foreach (var m in mismatches) message.Append("\n\t").Append(m);
            throw new StateDictException(message.ToString(), strict ? missing : [], strict ? unexpected : [], mismatches);
        }
        foreach (var (target, source) in copies) target.CopyFrom(source);
        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>
    /// Whether an own state entry may be absent from a loaded state dict without counting as missing
    /// (BatchNorm's num_batches_tracked, which checkpoints written before PyTorch 0.4.1 lack).
    /// </summary>
    /// <param name="name">The entry's own name (no prefix).</param>
    protected virtual bool IsOptionalStateKey(string name) => false;

    /// <summary>The module's settings as shown by <see cref="ToString"/>, e.g. "in_features=64, out_features=32, bias=True".</summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>A tree of the module and its children in PyTorch's print format.</summary>
    public override string ToString()
    {
        var children = NamedChildren().ToList();
        var head = $"{GetType().Name}({ExtraRepr()}";
        if (children.Count == 0) return head + ")";
        var sb = new StringBuilder(head).Append('\n');
        foreach (var (name, child) in children)
            sb.Append("  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  ")).Append('\n');
        return sb.Append(')').ToString();
    }
}

/// <summary>What <see cref="Module.LoadStateDict"/> did not match (torch's <c>_IncompatibleKeys</c>).</summary>
/// <param name="MissingKeys">The module's keys the state dict lacks.</param>
/// <param name="UnexpectedKeys">The state dict's keys the module does not have.</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);

/// <summary>A state dict does not fit a module: shapes differ, or (strict) keys are missing or unexpected.</summary>
public sealed class StateDictException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">All problems, one per line.</param>
    /// <param name="missingKeys">Keys the module has and the state dict lacks.</param>
    /// <param name="unexpectedKeys">Keys the state dict has and the module lacks.</param>
    /// <param name="shapeMismatches">One line per tensor whose shape differs, naming both shapes.</param>
    public StateDictException(string message, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> shapeMismatches)
        : base(message)
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Keys the module has and the state dict lacks.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has and the module lacks.</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>One line per tensor whose shape differs, naming both shapes.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }
}
