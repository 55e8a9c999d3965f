namespace HubHost.TorchScript;

/// <summary>
/// The type a TorchScript pickle tags a dict or list with (<c>torch.jit._pickle.restore_type_tag</c>, e.g.
/// <c>Dict[str, List[int]]</c>), which libtorch parses with its TorchScript type parser. That parser reports an unknown
/// name with torch::jit::ErrorReport, which TorchSharp 0.107 does not catch (the process aborted on a fuzzed
/// <c>DPct[str, int]</c>), so the check accepts only the grammar and names libtorch knows: <c>Name</c> or
/// <c>Name[Type, ...]</c> with the constructors List, Dict, Tuple (<c>Tuple[()]</c> for the empty one), Optional and
/// Union, the built-in types Tensor, int, float, bool, str, complex, number, None, NoneType, Any, Device and Stream, and
/// the archive's own classes (<c>__torch__.*</c> defined in code/). Nesting is bounded by
/// <see cref="ArchiveLimits.MaxBracketDepth"/>.
/// </summary>
internal static class TypeName
{
    private static readonly HashSet<string> Builtins = new(StringComparer.Ordinal)
    {
        "Tensor", "int", "float", "bool", "str", "complex", "number", "None", "NoneType", "Any", "Device", "Stream",
    };

    /// <summary>Constructor name: how many type arguments it takes (at least, at most).</summary>
    private static readonly Dictionary<string, (int Min, int Max)> Constructors = new(StringComparer.Ordinal)
    {
        ["List"] = (1, 1), ["Dict"] = (2, 2), ["Tuple"] = (0, int.MaxValue), ["Optional"] = (1, 1), ["Union"] = (1, int.MaxValue),
    };

    /// <summary>Checks <paramref name="text"/>, which must be a <paramref name="container"/> (Dict or List) type.</summary>
    public static void Check(string text, string container, Func<string, bool> isClass, Func<string, Exception> error)
    {
        if (text.Length > 65536) throw error($"is {text.Length} characters long");
        var parser = new Parser(text, isClass, error);
        string outer = parser.Type(0);
        parser.End();
        if (outer != container) throw error($"is not a {container}[...] type");
    }

    private sealed class Parser(string text, Func<string, bool> isClass, Func<string, Exception> error)
    {
        private int _at;

        public void End()
        {
            SkipSpaces();
            if (_at != text.Length) throw error($"has '{text[_at]}' after its end");
        }

        /// <summary>One type; returns its outer name. Recursion is bounded by the nesting limit.</summary>
        public string Type(int depth)
        {
            if (depth > ArchiveLimits.MaxBracketDepth) throw error($"nests more than {ArchiveLimits.MaxBracketDepth} deep");
            string name = Name();
            SkipSpaces();
            if (!Peek('['))
            {
                if (Builtins.Contains(name)) return name;
                if (name.StartsWith("__torch__.", StringComparison.Ordinal) && !name.StartsWith("__torch__.torch.classes.", StringComparison.Ordinal) && isClass(name)) return name;
                throw error($"names '{ScriptPickleRules.Shorten(name)}', which is neither a TorchScript built-in type nor a class the archive's code defines");
            }
            if (!Constructors.TryGetValue(name, out var arity)) throw error($"uses '{ScriptPickleRules.Shorten(name)}[...]', which is not a TorchScript type constructor (List, Dict, Tuple, Optional, Union)");
            _at++;
            int count = 0;
            SkipSpaces();
            if (name == "Tuple" && text.AsSpan(_at).StartsWith("()"))
            {
                _at += 2;
            }
            else
            {
                while (true)
                {
                    Type(depth + 1);
                    count++;
                    SkipSpaces();
                    if (!Peek(',')) break;
                    _at++;
                }
            }
            SkipSpaces();
            if (!Peek(']')) throw error("has an unclosed or malformed [...]");
            _at++;
            if (count < arity.Min || count > arity.Max) throw error($"gives {name} {count} type arguments");
            return name;
        }

        private string Name()
        {
            SkipSpaces();
            int start = _at;
            while (_at < text.Length && (char.IsAsciiLetterOrDigit(text[_at]) || text[_at] is '_' or '.')) _at++;
            if (_at == start) throw error(_at < text.Length ? $"has '{text[_at]}' where a type name belongs" : "ends where a type name belongs");
            return text[start.._at];
        }

        private bool Peek(char c) => _at < text.Length && text[_at] == c;

        private void SkipSpaces()
        {
            while (_at < text.Length && text[_at] == ' ') _at++;
        }
    }
}
