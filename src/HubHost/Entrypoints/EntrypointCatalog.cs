using HubHost.Storage;
using System.Reflection;
using System.Xml.Linq;
using HubHost.Sources;

namespace HubHost.Entrypoints;

/// <summary>The entrypoints of a loaded repo: the public static methods of its public static Hubconf class.</summary>
internal sealed class EntrypointCatalog
{
    private readonly Dictionary<string, Entrypoint> _byName;

    private EntrypointCatalog(Type hubconf, List<Entrypoint> entrypoints)
    {
        Hubconf = hubconf;
        All = entrypoints;
        _byName = entrypoints.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<Entrypoint> All { get; }

    /// <summary>The repo's Hubconf class.</summary>
    public Type Hubconf { get; }

    public static EntrypointCatalog Create(string repo, Assembly assembly, string assemblyPath)
    {
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileLoadException or FileNotFoundException or TypeLoadException)
        {
            var detail = e is ReflectionTypeLoadException r ? string.Join("; ", r.LoaderExceptions.Where(x => x is not null).Select(x => x!.Message).Distinct()) : e.Message;
            throw new HubException($"Could not load the types of {repo}: {detail}", e);
        }
        var classes = types.Where(t => t.Name == HubRepoLayout.ClassName && t.IsClass).ToList();
        if (classes.Count == 0)
            throw new HubException($"{repo} has no public static class {HubRepoLayout.ClassName}. Add one; its public static methods are the entrypoints.");
        if (classes.Count > 1)
            throw new HubException($"{repo} has {classes.Count} public classes named {HubRepoLayout.ClassName} ({string.Join(", ", classes.Select(c => c.FullName))}); keep exactly one.");
        var hubconf = classes[0];
        if (!(hubconf.IsAbstract && hubconf.IsSealed))
            throw new HubException($"{hubconf.FullName} in {repo} must be a static class (public static class {HubRepoLayout.ClassName}).");

        // Doc comments and nullability are read on first use of an entrypoint's description (list, help, a
        // binding error), not to call it.
        var docs = new Lazy<XmlDocumentation>(() => XmlDocumentation.Load(assemblyPath));
        var nullability = new Lazy<NullabilityInfoContext>(() => new NullabilityInfoContext());
        var methods = hubconf.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && !m.IsGenericMethodDefinition)
            .OrderBy(m => m.MetadataToken)
            .ToList();
        var overloaded = methods.GroupBy(m => m.Name).FirstOrDefault(g => g.Count() > 1);
        if (overloaded is not null)
            throw new HubException($"{repo}: the entrypoint {overloaded.Key} has {overloaded.Count()} overloads. Entrypoints are called by name, so give each method its own name.");
        return new EntrypointCatalog(hubconf, methods.Select(m => new Entrypoint(m, method => Describe(method, docs.Value.For(method), nullability.Value))).ToList());
    }

    /// <summary>Finds an entrypoint by exact name, else by a unique case-insensitive match; otherwise an error listing them all.</summary>
    public Entrypoint Find(string repo, string name)
    {
        if (_byName.TryGetValue(name, out var exact)) return exact;
        var loose = All.Where(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (loose.Count == 1) return loose[0];
        var available = All.Count == 0 ? "it has none" : "available: " + string.Join(", ", All.Select(e => e.Name));
        throw new HubException($"{repo} has no entrypoint '{name}' ({available}).");
    }

    private static EntrypointInfo Describe(MethodInfo method, XElement? doc, NullabilityInfoContext nullability)
    {
        var parameters = method.GetParameters().Select(p =>
        {
            var type = CSharpNames.Type(p.ParameterType, nullability.Create(p));
            var description = XmlDocumentation.Text(doc?.Elements("param").FirstOrDefault(e => e.Attribute("name")?.Value == p.Name));
            return new EntrypointParameter(p.Name ?? "", type, p.HasDefaultValue, p.HasDefaultValue ? CSharpNames.DefaultText(p) : null, description);
        }).ToList();
        var returnType = CSharpNames.Type(method.ReturnType, nullability.Create(method.ReturnParameter));
        var signature = $"{method.Name}({string.Join(", ", parameters.Select(p => $"{p.Type} {p.Name}{(p.HasDefault ? " = " + p.DefaultValue : "")}"))}) -> {returnType}";
        return new EntrypointInfo
        {
            Name = method.Name,
            Signature = signature,
            Summary = XmlDocumentation.Text(doc?.Element("summary")) ?? "",
            Parameters = parameters,
            ReturnType = returnType,
            Returns = XmlDocumentation.Text(doc?.Element("returns")),
            Remarks = XmlDocumentation.Text(doc?.Element("remarks")),
            Examples = doc?.Elements("example").Select(XmlDocumentation.Text).OfType<string>().ToList() ?? [],
            Result = ShortestCall.ResultType(method),
            ReturnsNothing = method.ReturnType == typeof(void) || method.ReturnType == typeof(Task) || method.ReturnType == typeof(ValueTask),
        };
    }
}
