using System.Globalization;
using System.Reflection;

namespace HubHost.Entrypoints;

/// <summary>Types and values as C# source would write them, for signatures and messages.</summary>
internal static class CSharpNames
{
    private static readonly Dictionary<Type, string> Keywords = new()
    {
        [typeof(bool)] = "bool", [typeof(byte)] = "byte", [typeof(sbyte)] = "sbyte", [typeof(short)] = "short",
        [typeof(ushort)] = "ushort", [typeof(int)] = "int", [typeof(uint)] = "uint", [typeof(long)] = "long",
        [typeof(ulong)] = "ulong", [typeof(float)] = "float", [typeof(double)] = "double", [typeof(decimal)] = "decimal",
        [typeof(char)] = "char", [typeof(string)] = "string", [typeof(object)] = "object", [typeof(void)] = "void",
    };

    public static string Type(Type type, NullabilityInfo? nullability = null)
    {
        if (Keywords.TryGetValue(type, out var keyword))
            return keyword + (nullability is { ReadState: NullabilityState.Nullable } && !type.IsValueType ? "?" : "");
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Type(underlying) + "?";
        if (type.IsArray) return Type(type.GetElementType()!, nullability?.ElementType) + "[]";
        string name;
        if (type.IsGenericType && type.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true && type.GetGenericArguments().Length < 8)
        {
            name = "(" + string.Join(", ", type.GetGenericArguments().Select(a => Type(a))) + ")";
        }
        else if (type.IsGenericType)
        {
            var bare = type.Name[..Math.Max(0, type.Name.IndexOf('`'))];
            var args = type.GetGenericArguments();
            var argInfos = nullability?.GenericTypeArguments;
            name = $"{bare}<{string.Join(", ", args.Select((a, i) => Type(a, argInfos is not null && i < argInfos.Length ? argInfos[i] : null)))}>";
        }
        else
        {
            name = type.Name;
        }
        name = Outer(type) + name;
        return name + (nullability is { ReadState: NullabilityState.Nullable } && !type.IsValueType ? "?" : "");
    }

    /// <summary>
    /// The declaring types of a nested type as a prefix (<c>jit.</c> for torch.jit.ScriptModule, <c>nn.</c> for
    /// torch.nn.Module): written as code with <c>using static TorchSharp.torch;</c> writes them, so TorchSharp's outer
    /// <c>torch</c> class is left out. Empty for a type that is not nested (or nested in a generic type).
    /// </summary>
    private static string Outer(Type type)
    {
        var prefix = "";
        for (var outer = type.DeclaringType; outer is not null; outer = outer.DeclaringType)
        {
            if (outer.IsGenericType) return "";
            if (outer.FullName == "TorchSharp.torch") break;
            prefix = outer.Name + "." + prefix;
        }
        return prefix;
    }

    public static string Value(object? value) => value switch
    {
        null => "null",
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        bool b => b ? "true" : "false",
        char c => $"'{c}'",
        float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        decimal m => m.ToString(CultureInfo.InvariantCulture) + "m",
        Enum e => $"{e.GetType().Name}.{e}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>The default value of an optional parameter as the runtime will pass it.</summary>
    public static object? DefaultOf(ParameterInfo parameter)
    {
        var value = parameter.DefaultValue;
        if (value is null || value == DBNull.Value || value == System.Type.Missing)
            return parameter.ParameterType.IsValueType && Nullable.GetUnderlyingType(parameter.ParameterType) is null
                ? Activator.CreateInstance(parameter.ParameterType)
                : null;
        if (parameter.ParameterType.IsEnum && value.GetType() != parameter.ParameterType)
            return Enum.ToObject(parameter.ParameterType, value);
        return value;
    }
}
