using HubHost.Entrypoints;
using System.ComponentModel;
using System.Reflection;

namespace HubHost.Checking;

/// <summary>
/// The rules on Hubconf itself: every entrypoint documented (a summary, a description of every parameter), and
/// nothing public in it that is not an entrypoint. The rule for helpers: Hubconf's public members are its entrypoints,
/// so a public property, field, event, nested type or generic method there (which the hub never lists), and a public
/// method a user cannot call (a required parameter no text converts to, such as a module or a tensor, or a ref/out
/// parameter) is a helper that should be private or internal. Public types elsewhere in the repo (a model's classes)
/// are the repo's own business.
/// </summary>
internal static class HubconfRules
{
    public static void Documentation(EntrypointInfo entry, Action<CheckFinding> add)
    {
        if (string.IsNullOrWhiteSpace(entry.Summary))
            add(new CheckFinding(entry.Name, "summary", "has no summary, so `hubhost list`, `help` and the catalog say nothing about it.",
                $"Add /// <summary>what it returns, its input and output</summary> above {entry.Name}; or, if it is a helper, make it private or internal."));
        foreach (var p in entry.Parameters.Where(p => string.IsNullOrWhiteSpace(p.Description) && p.Type is not ("CancellationToken" or "CancellationToken?")))
            add(new CheckFinding(entry.Name, "parameter-doc", $"parameter {p.Name} has no description.",
                $"Add /// <param name=\"{p.Name}\">what it does, its unit or choices</param> above {entry.Name}."));
    }

    public static void Helpers(Type hubconf, Action<CheckFinding> add)
    {
        const BindingFlags Public = BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly;
        const string Fix = "make it private or internal: Hubconf's public methods are its entrypoints, and helpers belong out of sight.";
        foreach (var p in hubconf.GetProperties(Public))
            add(new CheckFinding("Hubconf", "helper", $"the property {p.Name} is public, but only methods are entrypoints, so users see it in code but never in `hubhost list`.", Fix));
        foreach (var f in hubconf.GetFields(Public))
            add(new CheckFinding("Hubconf", "helper", $"the field {f.Name} is public, but only methods are entrypoints.", Fix + " A constant users need belongs in an entrypoint's documentation."));
        foreach (var e in hubconf.GetEvents(Public))
            add(new CheckFinding("Hubconf", "helper", $"the event {e.Name} is public, but only methods are entrypoints.", Fix));
        foreach (var t in hubconf.GetNestedTypes(BindingFlags.Public))
            add(new CheckFinding("Hubconf", "helper", $"the nested type {t.Name} is public, but only methods are entrypoints.", "Move it out of Hubconf (a model class in its own file), or " + Fix));
        foreach (var m in hubconf.GetMethods(Public).Where(m => !m.IsSpecialName))
        {
            if (m.IsGenericMethodDefinition)
            {
                add(new CheckFinding(m.Name, "helper", "is a public generic method, which cannot be an entrypoint (the hub does not list it).", Fix));
                continue;
            }
            var unbindable = m.GetParameters().Where(p => p.ParameterType.IsByRef || p.IsOut || (!p.HasDefaultValue && !FromText(p.ParameterType))).ToList();
            if (unbindable.Count > 0)
                add(new CheckFinding(m.Name, "helper",
                    $"takes {string.Join(", ", unbindable.Select(p => $"{Entrypoints.CSharpNames.Type(p.ParameterType)} {p.Name}"))}, which a user cannot give (`--arg` converts text to numbers, strings, bools, enums and arrays), so it looks like a helper, not an entrypoint.",
                    "If it is a helper, " + Fix + " If it is an entrypoint, take values a user can give and build the objects inside."));
        }
    }

    /// <summary>Whether the hub can make a value of <paramref name="type"/> from <c>--arg</c> text (as ValueConverter does).</summary>
    private static bool FromText(Type type)
    {
        if (type == typeof(CancellationToken)) return true;
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsArray) return FromText(type.GetElementType()!);
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(object)) return true;
        if (type.GetCustomAttribute<TypeConverterAttribute>() is not null) return true;
        return type.GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, [typeof(string)]) is not null
               || type.GetMethod("Parse", BindingFlags.Public | BindingFlags.Static, [typeof(string), typeof(IFormatProvider)]) is not null;
    }
}
