using System.Reflection;
using System.Text;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.PublicApi;

/// <summary>
/// The public API is checked in (Serilog-style): a change to it shows up as a diff of the approved file.
/// To accept a change, copy the .received.txt written next to the approved file over it.
/// </summary>
public sealed class PublicApiTests
{
    [Theory]
    [InlineData("HubHost")]
    [InlineData("HubHost.Contract")]
    [InlineData("HubHost.Serve")]
    [InlineData("HubHost.Hosting")]
    public void Public_api_matches_the_approved_file(string assemblyName)
    {
        var assembly = assemblyName switch
        {
            "HubHost" => typeof(HubClient).Assembly,
            "HubHost.Contract" => typeof(HubHost.Contract.IHubServices).Assembly,
            "HubHost.Serve" => typeof(HubHost.Serve.ServeHost).Assembly,
            "HubHost.Hosting" => typeof(HubHost.Hosting.HubEntrypointOptions).Assembly,
            _ => throw new ArgumentOutOfRangeException(nameof(assemblyName)),
        };
        var actual = Describe(assembly);
        var approved = Path.Combine(RepoPaths.Root, "tests", "HubHost.Tests", "PublicApi", assemblyName + ".approved.txt");
        var received = Path.ChangeExtension(approved, null).Replace(".approved", ".received") + ".txt";
        var expected = File.Exists(approved) ? File.ReadAllText(approved).ReplaceLineEndings("\n") : "";
        if (expected != actual) File.WriteAllText(received, actual);
        else if (File.Exists(received)) File.Delete(received);
        Assert.True(expected == actual, $"The public API of {assemblyName} changed; see {received} (copy it over {approved} to accept).");
    }

    internal static string Describe(Assembly assembly)
    {
        var sb = new StringBuilder();
        foreach (var type in assembly.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            sb.Append(Kind(type)).Append(' ').Append(type.FullName);
            if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum)) sb.Append(" : ").Append(b.FullName ?? b.Name);
            var interfaces = type.GetInterfaces().Where(i => i.IsPublic).Select(i => i.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            if (interfaces.Count > 0) sb.Append(type.BaseType is { } bb && bb != typeof(object) && bb != typeof(ValueType) && bb != typeof(Enum) ? ", " : " : ").Append(string.Join(", ", interfaces));
            sb.Append('\n');
            const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var members = type.GetMembers(flags)
                .Where(m => m is not MethodInfo { IsSpecialName: true } && !(type.IsEnum && m.Name == "value__"))
                .Where(m => !IsCompilerGenerated(m))
                .Select(Member)
                .OrderBy(s => s, StringComparer.Ordinal);
            foreach (var member in members) sb.Append("    ").Append(member).Append('\n');
        }
        return sb.ToString();
    }

    private static bool IsCompilerGenerated(MemberInfo m)
        => m.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is not null
           || m.Name is "<Clone>$" or "EqualityContract" or "PrintMembers";

    private static string Kind(Type t) => t switch
    {
        { IsInterface: true } => "interface",
        { IsEnum: true } => "enum",
        { IsValueType: true } => "struct",
        { IsAbstract: true, IsSealed: true } => "static class",
        { IsAbstract: true } => "abstract class",
        { IsSealed: true } => "sealed class",
        _ => "class",
    };

    private static string Member(MemberInfo m) => m switch
    {
        ConstructorInfo c => $"ctor({Parameters(c)})",
        MethodInfo mi => $"{(mi.IsStatic ? "static " : "")}{(mi.IsAbstract ? "abstract " : mi.IsVirtual && !mi.IsFinal ? "virtual " : "")}{TypeName(mi.ReturnType)} {mi.Name}{Generic(mi)}({Parameters(mi)})",
        PropertyInfo p => $"{(p.GetMethod?.IsStatic == true ? "static " : "")}{TypeName(p.PropertyType)} {p.Name} {{ {(p.GetMethod?.IsPublic == true ? "get; " : "")}{(p.SetMethod?.IsPublic == true ? (p.SetMethod.ReturnParameter.GetRequiredCustomModifiers().Any(x => x.Name == "IsExternalInit") ? "init; " : "set; ") : "")}}}",
        FieldInfo f => $"{(f.IsStatic ? "static " : "")}{(f.IsLiteral ? "const " : f.IsInitOnly ? "readonly " : "")}{TypeName(f.FieldType)} {f.Name}",
        EventInfo e => $"event {TypeName(e.EventHandlerType!)} {e.Name}",
        Type nested => $"nested {Kind(nested)} {nested.Name}",
        _ => m.ToString() ?? m.Name,
    };

    private static string Generic(MethodInfo m) => m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";

    private static string Parameters(MethodBase m) => string.Join(", ", m.GetParameters().Select(p =>
        $"{(p.GetCustomAttribute<ParamArrayAttribute>() is not null ? "params " : "")}{TypeName(p.ParameterType)} {p.Name}{(p.HasDefaultValue ? " = " + (p.DefaultValue ?? "null") : "")}"));

    private static string TypeName(Type t)
    {
        if (t.IsGenericParameter) return t.Name;
        if (t.IsByRef) return "ref " + TypeName(t.GetElementType()!);
        if (t.IsArray) return TypeName(t.GetElementType()!) + "[]";
        if (Nullable.GetUnderlyingType(t) is { } u) return TypeName(u) + "?";
        if (t.IsGenericType)
            return t.Name[..t.Name.IndexOf('`')] + "<" + string.Join(", ", t.GetGenericArguments().Select(TypeName)) + ">";
        return t.Namespace is "System" or "System.Collections.Generic" or "System.Threading" or "System.Threading.Tasks" ? t.Name : t.FullName ?? t.Name;
    }
}
