using System.Collections;
using System.Reflection;

namespace HubHost;

/// <summary>
/// Arguments for an entrypoint, like Python's <c>*args, **kwargs</c>: positional values and named values.
/// Named values match parameters by name (exactly, else ignoring case and underscores, so <c>num_classes</c>
/// finds <c>numClasses</c>); strings convert to the parameter's type (the CLI passes everything as strings).
/// </summary>
public sealed class HubArguments
{
    /// <summary>No arguments.</summary>
    public static HubArguments None { get; } = new([], new Dictionary<string, object?>());

    /// <summary>Creates arguments from positional and named values.</summary>
    public HubArguments(IEnumerable<object?>? positional = null, IEnumerable<KeyValuePair<string, object?>>? named = null)
    {
        Positional = (positional ?? []).ToList();
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in named ?? [])
        {
            if (!dict.TryAdd(name, value))
                throw new HubException($"The argument '{name}' is given twice. Give each argument once.");
        }
        Named = dict;
    }

    /// <summary>Positional values, bound to parameters in order.</summary>
    public IReadOnlyList<object?> Positional { get; }

    /// <summary>Named values, bound to parameters by name.</summary>
    public IReadOnlyDictionary<string, object?> Named { get; }

    /// <summary>Positional arguments only.</summary>
    public static HubArguments Of(params object?[] positional) => new(positional);

    /// <summary>
    /// Arguments from an object: null (none), <see cref="HubArguments"/> (as is), a dictionary of names to values,
    /// an <c>object[]</c> (positional), or any other object whose public properties are the named arguments —
    /// so <c>new { pretrained = true, num_classes = 10 }</c> reads like Python's kwargs.
    /// </summary>
    public static HubArguments From(object? arguments) => arguments switch
    {
        null => None,
        HubArguments a => a,
        IEnumerable<KeyValuePair<string, object?>> pairs => new HubArguments(named: pairs),
        IEnumerable<KeyValuePair<string, string>> strings => new HubArguments(named: strings.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value))),
        IDictionary dictionary => new HubArguments(named: dictionary.Keys.Cast<object>().Select(k => new KeyValuePair<string, object?>(k.ToString()!, dictionary[k]))),
        object?[] positional => new HubArguments(positional),
        string => throw new HubException("Arguments must be named or a list: pass new { name = value } or HubArguments.Of(value), not a bare string."),
        _ => new HubArguments(named: arguments.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => new KeyValuePair<string, object?>(p.Name, p.GetValue(arguments)))),
    };
}
