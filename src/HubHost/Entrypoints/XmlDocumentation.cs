using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace HubHost.Entrypoints;

/// <summary>Reads the compiler's XML documentation file of a built repo: doc comments by member id.</summary>
internal sealed partial class XmlDocumentation
{
    private readonly Dictionary<string, XElement> _members;

    private XmlDocumentation(Dictionary<string, XElement> members) => _members = members;

    public static XmlDocumentation Load(string assemblyPath)
    {
        var path = Path.ChangeExtension(assemblyPath, ".xml");
        var members = new Dictionary<string, XElement>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            try
            {
                foreach (var member in XDocument.Load(path).Descendants("member"))
                    if (member.Attribute("name")?.Value is { } name) members[name] = member;
            }
            catch (System.Xml.XmlException)
            {
                // A malformed doc file only costs the help text; the entrypoints themselves still work.
            }
        }
        return new XmlDocumentation(members);
    }

    public XElement? For(MethodInfo method) => _members.GetValueOrDefault(MemberId(method));

    /// <summary>Text of a doc element: references shortened to their names, code kept, paragraphs as blank lines.</summary>
    public static string? Text(XElement? element)
    {
        if (element is null) return null;
        var sb = new StringBuilder();
        Append(element, sb);
        var lines = sb.ToString().Replace("\r", "").Split('\n').Select(l => Spaces().Replace(l, " ").Trim());
        var text = string.Join("\n", lines).Trim();
        return MultipleBlankLines().Replace(text, "\n\n");
    }

    private static void Append(XElement element, StringBuilder sb)
    {
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText text:
                    sb.Append(element.Name.LocalName == "code" ? text.Value : Spaces().Replace(text.Value.Replace('\n', ' '), " "));
                    break;
                case XElement e when e.Name.LocalName is "see" or "seealso":
                    var target = e.Attribute("cref")?.Value ?? e.Attribute("langword")?.Value ?? e.Attribute("href")?.Value ?? "";
                    sb.Append(e.Value.Length > 0 ? e.Value : ShortName(target));
                    break;
                case XElement e when e.Name.LocalName is "paramref" or "typeparamref":
                    sb.Append(e.Attribute("name")?.Value);
                    break;
                case XElement e when e.Name.LocalName is "para":
                    sb.Append("\n\n");
                    Append(e, sb);
                    sb.Append("\n\n");
                    break;
                case XElement e when e.Name.LocalName is "code":
                    sb.Append('\n').Append(Dedent(e.Value)).Append('\n');
                    break;
                case XElement e:
                    Append(e, sb);
                    break;
            }
        }
    }

    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "").Split('\n').SkipWhile(string.IsNullOrWhiteSpace).Reverse().SkipWhile(string.IsNullOrWhiteSpace).Reverse().ToList();
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    private static string ShortName(string cref)
    {
        var name = cref.Contains(':') ? cref[(cref.IndexOf(':') + 1)..] : cref;
        var paren = name.IndexOf('(');
        if (paren >= 0) name = name[..paren];
        return name[(name.LastIndexOf('.') + 1)..];
    }

    /// <summary>The documentation id of a method (ECMA-334 annex D), e.g. <c>M:Ns.Hubconf.resnet18(System.Boolean)</c>.</summary>
    internal static string MemberId(MethodInfo method)
    {
        var sb = new StringBuilder("M:").Append(TypeId(method.DeclaringType!, forDeclaration: true)).Append('.').Append(method.Name);
        if (method.IsGenericMethodDefinition) sb.Append("``").Append(method.GetGenericArguments().Length);
        var parameters = method.GetParameters();
        if (parameters.Length > 0)
            sb.Append('(').Append(string.Join(",", parameters.Select(p => TypeId(p.ParameterType, forDeclaration: false)))).Append(')');
        return sb.ToString();
    }

    private static string TypeId(Type type, bool forDeclaration)
    {
        if (type.IsByRef) return TypeId(type.GetElementType()!, false) + "@";
        if (type.IsArray) return TypeId(type.GetElementType()!, false) + (type.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", type.GetArrayRank())) + "]");
        if (type.IsPointer) return TypeId(type.GetElementType()!, false) + "*";
        if (type.IsGenericMethodParameter) return "``" + type.GenericParameterPosition;
        if (type.IsGenericTypeParameter) return "`" + type.GenericParameterPosition;
        var name = type.IsNested ? TypeId(type.DeclaringType!, true) + "." + type.Name : (type.Namespace is null ? "" : type.Namespace + ".") + type.Name;
        if (type.IsGenericType && !forDeclaration)
        {
            var tick = name.LastIndexOf('`');
            if (tick >= 0) name = name[..tick];
            name += "{" + string.Join(",", type.GetGenericArguments().Select(a => TypeId(a, false))) + "}";
        }
        return name;
    }

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex MultipleBlankLines();
}
