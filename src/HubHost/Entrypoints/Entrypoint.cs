using System.Reflection;

namespace HubHost.Entrypoints;

/// <summary>
/// An entrypoint: the method behind it (held only while its repo is loaded) and its description, made on
/// first use — a call never pays for reading the doc comments.
/// </summary>
internal sealed class Entrypoint(MethodInfo method, Func<MethodInfo, EntrypointInfo> describe)
{
    private EntrypointInfo? _info;

    public string Name => Method.Name;

    public EntrypointInfo Info => _info ??= describe(Method);

    public MethodInfo Method { get; } = method;

    /// <summary>
    /// Binds positional and named arguments to the method's parameters: names exactly or ignoring case and
    /// underscores, defaults for what is left out, values converted to the parameters' types, a
    /// CancellationToken parameter given the call's token. Any mismatch: one error with the signature.
    /// </summary>
    public object?[] Bind(HubArguments arguments, CancellationToken cancellationToken)
    {
        var parameters = Method.GetParameters();
        var values = new object?[parameters.Length];
        var bound = new bool[parameters.Length];
        var bindable = parameters.Where(p => p.ParameterType != typeof(CancellationToken)).ToList(); // ParameterInfo.Position: its index
        if (arguments.Positional.Count > bindable.Count)
            throw Error($"it takes at most {bindable.Count} positional argument{(bindable.Count == 1 ? "" : "s")} but {arguments.Positional.Count} were given");
        for (int k = 0; k < arguments.Positional.Count; k++)
        {
            var p = bindable[k];
            values[p.Position] = Convert(arguments.Positional[k], p);
            bound[p.Position] = true;
        }
        foreach (var (name, value) in arguments.Named)
        {
            var match = bindable.Where(p => p.Name == name).ToList();
            if (match.Count == 0) match = bindable.Where(p => Normalize(p.Name!) == Normalize(name)).ToList();
            if (match.Count == 0) throw Error($"it has no parameter named '{name}'");
            if (match.Count > 1) throw Error($"'{name}' matches more than one parameter ({string.Join(", ", match.Select(m => m.Name))}); use the exact name");
            var p = match[0];
            if (bound[p.Position]) throw Error($"'{p.Name}' is given twice (by position and by name)");
            values[p.Position] = Convert(value, p);
            bound[p.Position] = true;
        }
        for (int i = 0; i < parameters.Length; i++)
        {
            if (bound[i]) continue;
            if (parameters[i].ParameterType == typeof(CancellationToken)) values[i] = cancellationToken;
            else if (parameters[i].HasDefaultValue) values[i] = CSharpNames.DefaultOf(parameters[i]);
            else throw Error($"the required argument '{parameters[i].Name}' is missing");
        }
        return values;
    }

    private object? Convert(object? value, ParameterInfo parameter)
    {
        if (ValueConverter.TryConvert(value, parameter.ParameterType, out var result, out var problem)) return result;
        throw Error($"argument '{parameter.Name}' expects {CSharpNames.Type(parameter.ParameterType)}: {problem}");
    }

    private HubException Error(string what) => new($"Cannot call {Name}: {what}. Signature: {Info.Signature}");

    private static string Normalize(string name) => name.Replace("_", "").Replace("-", "").ToLowerInvariant();
}
