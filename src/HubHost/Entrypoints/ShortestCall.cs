using System.Reflection;
using System.Runtime.Loader;
using System.Text;

namespace HubHost.Entrypoints;

/// <summary>
/// The shortest correct call of an entrypoint, as the catalog and <c>hubhost help</c> show it and <c>hubhost check</c>
/// makes it: only the arguments a user would set — for a model <c>pretrained = true</c> (or torchvision's
/// <c>weights = "DEFAULT"</c>), and a value for each parameter without a default — never a default spelled out, never
/// <c>null</c> in an anonymous type, never an empty <c>--arg</c>.
/// </summary>
internal static class ShortestCall
{
    /// <summary>The arguments of the shortest call, in declaration order.</summary>
    public static IReadOnlyList<CallArgument> Arguments(EntrypointInfo entry)
    {
        var result = new List<CallArgument>();
        var weights = PretrainedArgument(entry);
        foreach (var p in entry.Parameters)
        {
            if (IsCancellationToken(p.Type)) continue;
            if (weights is not null && p.Name == weights.Name) result.Add(weights);
            else if (!p.HasDefault) result.Add(Placeholder(p));
        }
        return result;
    }

    /// <summary>
    /// The argument that asks for pretrained weights: <c>pretrained = true</c> for a <c>bool pretrained = false</c>, else
    /// <c>weights = "DEFAULT"</c> for torchvision's <c>string? weights = null</c> whose description names DEFAULT; null when
    /// the entrypoint has neither.
    /// </summary>
    public static CallArgument? PretrainedArgument(EntrypointInfo entry)
    {
        var pretrained = entry.Parameters.FirstOrDefault(p => p.Name.Equals("pretrained", StringComparison.OrdinalIgnoreCase) && p.Type == "bool" && p.HasDefault && p.DefaultValue == "false");
        if (pretrained is not null) return new CallArgument(pretrained.Name, "true", "true", true);
        var weights = entry.Parameters.FirstOrDefault(p => p.Name.Equals("weights", StringComparison.OrdinalIgnoreCase) && p.Type is "string" or "string?"
                                                            && p.HasDefault && p.DefaultValue == "null" && p.Description?.Contains("DEFAULT", StringComparison.Ordinal) == true);
        return weights is null ? null : new CallArgument(weights.Name, "\"DEFAULT\"", "DEFAULT", "DEFAULT");
    }

    /// <summary>
    /// <c>Hub.Load&lt;T&gt;("repo", "entry", new { … })</c> with the usings it needs, T being the type the host can cast the
    /// result to (<see cref="ResultType"/>), so the text compiles as it is in an app referencing HubHost.
    /// </summary>
    public static string CSharp(string repo, EntrypointInfo entry)
    {
        var arguments = Arguments(entry);
        var args = arguments.Count == 0 ? "" : $", new {{ {string.Join(", ", arguments.Select(a => $"{Identifier(a.Name)} = {a.CSharp}"))} }}";
        var sb = new StringBuilder();
        var result = entry.Result;
        foreach (var u in new[] { "HubHost" }.Concat(result?.Namespaces ?? []).Distinct().Order(StringComparer.Ordinal))
            sb.Append("using ").Append(u).Append(";\n");
        if (result?.StaticTorch == true) sb.Append("using static TorchSharp.torch;\n");
        var call = $"Hub.Load{(result is null ? "" : $"<{result.Name}>")}({Literal(repo)}, {Literal(entry.Name)}{args});";
        sb.Append(entry.ReturnsNothing ? call : $"var {(result?.IsModule == true ? "model" : "result")} = {call}");
        return sb.ToString();
    }

    /// <summary><c>hubhost load REPO ENTRY --arg name=value …</c>, quoted for a POSIX shell where needed.</summary>
    public static string Cli(string repo, EntrypointInfo entry)
    {
        var sb = new StringBuilder("hubhost load ").Append(Shell(repo)).Append(' ').Append(Shell(entry.Name));
        foreach (var a in Arguments(entry))
            sb.Append(" --arg ").Append(Shell($"{a.Name}={a.Cli}"));
        return sb.ToString();
    }

    /// <summary>
    /// The type a caller outside the repo can ask <c>Hub.Load&lt;T&gt;</c> for: the return type (a Task's result), or its
    /// nearest base type that the host shares with the repo (a TorchVision <c>ResNet</c>, private to the repo's load
    /// context, is an <c>nn.Module&lt;Tensor, Tensor&gt;</c> to the host); null when only <c>object</c> fits.
    /// </summary>
    public static CallResultType? ResultType(MethodInfo method)
    {
        var type = method.ReturnType;
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(Task<>) || definition == typeof(ValueTask<>)))
            type = type.GetGenericArguments()[0];
        if (type == typeof(void) || type == typeof(Task) || type == typeof(ValueTask)) return null;
        var repoContext = AssemblyLoadContext.GetLoadContext(method.Module.Assembly);
        for (Type? t = type; t is not null && t != typeof(object); t = t.BaseType)
        {
            if (!Shared(t, repoContext)) continue;
            var namespaces = new SortedSet<string>(StringComparer.Ordinal);
            var staticTorch = false;
            Collect(t, namespaces, ref staticTorch);
            return new CallResultType(CSharpNames.Type(t), namespaces.ToList(), staticTorch, typeof(TorchSharp.torch.nn.Module).IsAssignableFrom(t));
        }
        return null;
    }

    /// <summary>Whether a type and its type arguments all come from outside the repo's load context (the host's).</summary>
    private static bool Shared(Type type, AssemblyLoadContext? repoContext)
    {
        if (type.IsGenericParameter) return false;
        if (type.HasElementType) return Shared(type.GetElementType()!, repoContext);
        if (repoContext is not null && AssemblyLoadContext.GetLoadContext(type.Assembly) == repoContext) return false;
        if (!type.IsVisible) return false;
        return !type.IsGenericType || type.GetGenericArguments().All(a => Shared(a, repoContext));
    }

    /// <summary>The namespaces the name of <paramref name="type"/> needs beyond the SDK's implicit usings.</summary>
    private static void Collect(Type type, SortedSet<string> namespaces, ref bool staticTorch)
    {
        if (type.HasElementType)
        {
            Collect(type.GetElementType()!, namespaces, ref staticTorch);
            return;
        }
        var outer = type;
        while (outer.DeclaringType is not null) outer = outer.DeclaringType;
        if (outer.FullName == "TorchSharp.torch" && outer != type) staticTorch = true;
        else if (Nullable.GetUnderlyingType(type) is null && !IsKeyword(type) && outer.Namespace is { } ns && !ImplicitUsings.Contains(ns)) namespaces.Add(ns);
        if (type.IsGenericType)
            foreach (var argument in type.GetGenericArguments()) Collect(argument, namespaces, ref staticTorch);
    }

    private static bool IsKeyword(Type type) => type.IsPrimitive || type == typeof(string) || type == typeof(object) || type == typeof(decimal);

    /// <summary>The usings a console app gets from ImplicitUsings (Microsoft.NET.Sdk).</summary>
    private static readonly HashSet<string> ImplicitUsings = ["System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks"];

    private static bool IsCancellationToken(string type) => type is "CancellationToken" or "CancellationToken?";

    /// <summary>A value for a parameter without a default, of its type (the CLI's text converts as any --arg does).</summary>
    private static CallArgument Placeholder(EntrypointParameter p)
    {
        var type = p.Type.TrimEnd('?');
        return type switch
        {
            "bool" => new CallArgument(p.Name, "false", "false", false),
            "int" or "short" or "byte" or "sbyte" or "ushort" => new CallArgument(p.Name, "0", "0", 0),
            "long" => new CallArgument(p.Name, "0L", "0", 0L),
            "uint" => new CallArgument(p.Name, "0u", "0", 0u),
            "ulong" => new CallArgument(p.Name, "0ul", "0", 0ul),
            "float" => new CallArgument(p.Name, "0f", "0", 0f),
            "double" => new CallArgument(p.Name, "0.0", "0", 0.0),
            "decimal" => new CallArgument(p.Name, "0m", "0", 0m),
            _ => new CallArgument(p.Name, Literal(p.Name), p.Name, p.Name), // a string, or text the parameter's type parses
        };
    }

    private static readonly HashSet<string> Keywords = ["abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while"];

    private static string Identifier(string name) => Keywords.Contains(name) ? "@" + name : name;

    private static string Literal(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>POSIX shell quoting, only when needed.</summary>
    private static string Shell(string s)
        => s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@,+%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}

/// <summary>One argument of a shortest call.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="CSharp">Its value as C# writes it.</param>
/// <param name="Cli">Its value as <c>--arg NAME=VALUE</c> writes it.</param>
/// <param name="Value">The value itself (what <c>hubhost check</c> passes).</param>
internal sealed record CallArgument(string Name, string CSharp, string Cli, object Value);

/// <summary>The type a caller outside the repo asks <c>Hub.Load&lt;T&gt;</c> for (<see cref="ShortestCall.ResultType"/>).</summary>
/// <param name="Name">As C# writes it with the usings below (<c>nn.Module&lt;Tensor, Tensor&gt;</c>).</param>
/// <param name="Namespaces">The namespaces it needs beyond the SDK's implicit usings.</param>
/// <param name="StaticTorch">Whether it needs <c>using static TorchSharp.torch;</c> (for <c>nn.</c>, <c>Tensor</c>).</param>
/// <param name="IsModule">Whether it is a TorchSharp module.</param>
internal sealed record CallResultType(string Name, IReadOnlyList<string> Namespaces, bool StaticTorch, bool IsModule);
