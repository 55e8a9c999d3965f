using System.Text;

namespace HubHost.Serve;

/// <summary>The one-liners a page offers to copy: C# (<c>Hub.Load</c>) and the CLI (<c>hubhost load</c>).</summary>
internal static class Snippets
{
    /// <summary><c>Hub.Load&lt;T&gt;("repo", "entry", new { a = default, ... })</c>, every parameter at its default.</summary>
    public static string CSharp(string repo, EntrypointInfo entry)
    {
        var type = ResultType(entry.ReturnType);
        var parameters = Bindable(entry).Select(p => $"{Identifier(p.Name)} = {(p.HasDefault ? p.DefaultValue ?? "null" : $"default({p.Type})")}").ToList();
        var args = parameters.Count == 0 ? "" : $", new {{ {string.Join(", ", parameters)} }}";
        var call = type is null ? "Hub.Load" : $"Hub.Load<{type}>";
        return $"var result = {call}({Literal(repo)}, {Literal(entry.Name)}{args});";
    }

    /// <summary><c>hubhost load REPO ENTRY --arg name=value ...</c>: defaults as values, required parameters as &lt;type&gt;.</summary>
    public static string Cli(string repo, EntrypointInfo entry)
    {
        var sb = new StringBuilder("hubhost load ").Append(Shell(repo)).Append(' ').Append(Shell(entry.Name));
        foreach (var p in Bindable(entry))
        {
            var value = p.HasDefault ? CliValue(p.DefaultValue) : $"<{p.Type}>";
            sb.Append(" --arg ").Append(Shell($"{p.Name}={value}"));
        }
        return sb.ToString();
    }

    private static IEnumerable<EntrypointParameter> Bindable(EntrypointInfo entry)
        => entry.Parameters.Where(p => p.Type is not ("CancellationToken" or "CancellationToken?"));

    /// <summary>The type to ask for: a Task's result type, nothing for void/Task.</summary>
    private static string? ResultType(string returnType)
    {
        var t = returnType;
        foreach (var wrapper in new[] { "Task<", "ValueTask<" })
            if (t.StartsWith(wrapper, StringComparison.Ordinal) && t.EndsWith('>')) t = t[wrapper.Length..^1];
        return t is "void" or "Task" or "ValueTask" ? null : t;
    }

    private static string CliValue(string? csharp)
    {
        if (csharp is null or "null") return "";
        if (csharp.Length >= 2 && csharp[0] == '"' && csharp[^1] == '"') return csharp[1..^1].Replace("\\\"", "\"").Replace("\\\\", "\\");
        if (csharp.EndsWith('f') && double.TryParse(csharp[..^1], System.Globalization.CultureInfo.InvariantCulture, out _)) return csharp[..^1];
        var dot = csharp.LastIndexOf('.');
        return dot > 0 && char.IsLetter(csharp[0]) && !csharp.Contains(' ') ? csharp[(dot + 1)..] : csharp; // Enum.Value -> Value
    }

    private static readonly HashSet<string> Keywords = ["abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while"];

    private static string Identifier(string name) => Keywords.Contains(name) ? "@" + name : name;

    private static string Literal(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>POSIX shell quoting, only when needed.</summary>
    internal static string Shell(string s)
        => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
