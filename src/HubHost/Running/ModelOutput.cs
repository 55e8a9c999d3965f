using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using HubHost.Entrypoints;
using TorchSharp;
using static TorchSharp.torch;

namespace HubHost.Running;

/// <summary>
/// The output of one forward pass (<see cref="ModelRunner.Forward"/>): the one tensor a model returned, or the one
/// picked by key from a tuple, list or dictionary of tensors. Disposing it disposes <see cref="Tensor"/>.
/// </summary>
internal sealed class ModelOutput : IDisposable
{
    internal ModelOutput(Tensor tensor, string? key, IReadOnlyList<string> keys, string kind, TimeSpan forwardTime)
    {
        Tensor = tensor;
        Key = key;
        Keys = keys;
        Kind = kind;
        ForwardTime = forwardTime;
    }

    /// <summary>The output tensor.</summary>
    public Tensor Tensor { get; }

    /// <summary>Which output it is: a dictionary key, or a position (<c>0</c>, <c>1</c>, …) in a tuple or list; null when the model returned one tensor.</summary>
    public string? Key { get; }

    /// <summary>The keys of all the model's outputs, in order (empty when it returned one tensor).</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>What the model returned: <c>tensor</c>, <c>tuple</c>, <c>list</c> or <c>dictionary</c>.</summary>
    public string Kind { get; }

    /// <summary>Wall time of the forward pass (measured, not a benchmark).</summary>
    public TimeSpan ForwardTime { get; }

    /// <summary>Which output this is, for people: <c>output</c>, <c>output "out" of the dictionary (out, aux)</c>, <c>output 0 of a tuple of 2</c>.</summary>
    public string Description => Key is null
        ? "output"
        : Kind == "dictionary"
            ? $"output \"{Key}\" of the dictionary ({string.Join(", ", Keys)})"
            : $"output {Key} of a {Kind} of {Keys.Count}";

    /// <summary>Disposes the tensor.</summary>
    public void Dispose() => Tensor.Dispose();

    /// <summary>
    /// The output <paramref name="key"/> picks (null: the first) from what a model returned; every other value it returned
    /// is disposed. One <see cref="HubException"/> when there is no such output or it is not a tensor.
    /// </summary>
    internal static ModelOutput Pick(object? result, string? key, string what, TimeSpan elapsed)
    {
        if (result is Tensor single)
        {
            if (key is null) return new ModelOutput(single, null, [], "tensor", elapsed);
            single.Dispose();
            throw new HubException($"{what} returned one tensor, so there is no output \"{key}\" to pick: leave the output key out.");
        }
        var (kind, values) = Outputs(result);
        if (values is null)
        {
            DisposeAll(result);
            throw new HubException($"{what} returned {Describe(result)}, not a tensor, a tuple or list of tensors, or a dictionary of tensors, so there is no output tensor to use. Return a tensor (or tensors) from the model's forward.");
        }
        var keys = values.Select(v => v.Key).ToList();
        try
        {
            if (values.Count == 0)
                throw new HubException($"{what} returned an empty {kind}: there is no output tensor to use.");
            var index = key is null ? 0 : keys.IndexOf(key);
            if (index < 0)
            {
                var choose = kind == "dictionary" ? $"the dictionary's keys are {string.Join(", ", keys)}" : $"its outputs are positions 0 to {keys.Count - 1} of a {kind}";
                throw new HubException($"{what} has no output \"{key}\": {choose}. Pick one of them as the output key (--output-key in the CLI).");
            }
            if (values[index].Value is not Tensor picked)
            {
                var all = string.Join(", ", values.Select(v => $"{v.Key}: {Describe(v.Value)}"));
                throw new HubException($"Output {(kind == "dictionary" ? $"\"{keys[index]}\"" : keys[index])} of {what} is {Describe(values[index].Value)}, not a tensor ({kind} of {all}). Pick a tensor output as the output key (--output-key in the CLI).");
            }
            values[index] = (values[index].Key, null); // kept: not disposed below
            return new ModelOutput(picked, keys[index], keys, kind, elapsed);
        }
        finally
        {
            foreach (var (_, value) in values) DisposeAll(value);
        }
    }

    /// <summary>The keyed values of a tuple, list or dictionary with string keys; null values for anything else.</summary>
    private static (string Kind, List<(string Key, object? Value)>? Values) Outputs(object? result)
    {
        switch (result)
        {
            case IEnumerable<KeyValuePair<string, Tensor>> pairs:
                return ("dictionary", pairs.Select(p => (p.Key, (object?)p.Value)).ToList());
            case IDictionary dictionary when dictionary.Keys.Cast<object>().All(k => k is string):
                return ("dictionary", dictionary.Cast<DictionaryEntry>().Select(e => ((string)e.Key, e.Value)).ToList());
            case ITuple tuple:
                return ("tuple", Enumerable.Range(0, tuple.Length).Select(i => (Position(i), tuple[i])).ToList());
            case IList list:
                return ("list", list.Cast<object?>().Select((v, i) => (Position(i), v)).ToList());
            default:
                return ("", null);
        }
    }

    private static string Position(int i) => i.ToString(CultureInfo.InvariantCulture);

    /// <summary>A value as a message names it: <c>a Scalar</c>, <c>a tuple of 2</c>, <c>null</c>.</summary>
    private static string Describe(object? value) => value switch
    {
        null => "nothing (null)",
        torch.Tensor => "a tensor",
        ITuple t => $"a tuple of {t.Length}",
        IDictionary d => $"a dictionary of {d.Count}",
        IList l => $"a list of {l.Count}",
        _ => "a " + CSharpNames.Type(value.GetType()),
    };

    private static void DisposeAll(object? value)
    {
        switch (value)
        {
            case IDisposable disposable:
                disposable.Dispose();
                break;
            case ITuple tuple:
                for (var i = 0; i < tuple.Length; i++) DisposeAll(tuple[i]);
                break;
            case IDictionary dictionary:
                foreach (DictionaryEntry e in dictionary) DisposeAll(e.Value);
                break;
            case IList list:
                foreach (var item in list) DisposeAll(item);
                break;
        }
    }
}
