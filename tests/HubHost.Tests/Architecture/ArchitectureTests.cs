using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using HubHost.Tests.Infrastructure;

namespace HubHost.Tests.Architecture;

/// <summary>
/// The shape a newcomer reads from the folder tree: src/HubHost's parts depend on each other one way (no cycles), no part
/// below the façade reaches the façade (<see cref="HubClient"/>, <see cref="Hub"/>, the pipeline) except Reloading, which is
/// built on it; and the products (the CLI, the catalog) use only public API. The parts are every folder — a sub-folder
/// (Sources/Git, Sources/NuGet) is a part of its own — the façade (the root's HubClient*.cs, Hub*.cs and HubPipeline.cs), and
/// each other file of the root (options, exceptions, arguments: the vocabulary every folder may use, which itself uses no
/// folder that uses it back).
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>The folders allowed to use the façade: hot reload is a public feature built on <see cref="HubClient"/>'s public API.</summary>
    private static readonly HashSet<string> AboveTheFacade = ["Reloading"];

    private static readonly string[] FacadeTypes = ["HubClient", "Hub", "HubPipeline", "ResolvedRepo"];

    /// <summary>The root's files that make the façade: the client (its partial files), the static <see cref="Hub"/>, the pipeline.</summary>
    private static bool IsFacadeFile(string fileName)
        => fileName is "Hub.cs" or "HubPipeline.cs" || fileName.StartsWith("HubClient.", StringComparison.Ordinal) || fileName.StartsWith("Hub.", StringComparison.Ordinal);

    [Fact]
    public void Folders_of_the_hub_depend_on_each_other_one_way()
    {
        var graph = FolderGraph();
        Assert.True(graph.Count >= 10, "the folder scan found too few folders: " + string.Join(", ", graph.Keys));
        Assert.Contains(Facade, graph.Keys);
        Assert.Contains("Sources/Git", graph.Keys);
        Assert.Contains(RootFile("HubOptions"), graph.Keys);
        var cycles = new List<string>();
        foreach (var (from, edges) in graph.OrderBy(g => g.Key, StringComparer.Ordinal))
            foreach (var (to, types) in edges.OrderBy(e => e.Key, StringComparer.Ordinal))
                if (Reaches(graph, to, from))
                    cycles.Add($"{from} -> {to} ({string.Join(", ", types.Order(StringComparer.Ordinal).Take(4))}) and back");
        Assert.True(cycles.Count == 0, "folder cycles:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void Only_the_layer_above_it_uses_the_facade()
    {
        var offenders = FolderGraph()
            .Where(f => f.Key != Facade && !AboveTheFacade.Contains(f.Key) && f.Value.TryGetValue(Facade, out var used) && used.Overlaps(FacadeTypes))
            .Select(f => $"{f.Key} uses {string.Join(", ", f.Value[Facade].Intersect(FacadeTypes))}").ToList();
        Assert.True(offenders.Count == 0, string.Join("\n", offenders) + "\nGive the folder what it needs (a context record, a delegate) instead of the client.");
    }

    [Fact]
    public void The_products_see_no_internals_only_tests_and_test_tools_do()
    {
        string[] allowed = ["HubHost.Tests", "HubHost.Checkpoints.Tests", "HubHost.Serve.Tests", "HubHost.Bench", "HubHost.Fuzz"];
        // The checkpoint readers are their own assembly below the hub, which builds on their internals (TorchScript reads archives with them).
        foreach (var (assembly, builtOn) in new[]
                 {
                     (typeof(HubClient).Assembly, (string?)null), (typeof(HubHost.Serve.ServeHost).Assembly, null), (typeof(HubHost.Contract.IHubServices).Assembly, null),
                     (typeof(HubHost.Hosting.HubEntrypointOptions).Assembly, null), (typeof(HubHost.Checkpoints.Checkpoint).Assembly, "HubHost"),
                 })
        {
            var friends = assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();
            Assert.All(friends, f => Assert.True(allowed.Contains(f) || f == builtOn, $"{assembly.GetName().Name} shows its internals to {f}"));
            Assert.DoesNotContain("HubHost.Cli", friends);
        }
    }

    private const string Facade = "(façade)";

    private static string RootFile(string name) => "(root)/" + name;

    /// <summary>Part → part it uses → the type names it uses there, from the sources (declared types matched to their parts).</summary>
    private static Dictionary<string, Dictionary<string, HashSet<string>>> FolderGraph()
    {
        var src = Path.Combine(RepoPaths.Root, "src", "HubHost");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(f => (Folder: PartOf(Path.GetRelativePath(src, f)), Code: StripCommentsAndStrings(File.ReadAllText(f)))).ToList();
        var declaredIn = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (folder, code) in files)
            foreach (Match m in Declaration().Matches(code))
                declaredIn.TryAdd(m.Groups[1].Value, folder);
        var graph = files.Select(f => f.Folder).Distinct().ToDictionary(f => f, _ => new Dictionary<string, HashSet<string>>());
        foreach (var (folder, code) in files)
        {
            foreach (Match m in Identifier().Matches(code))
            {
                // A call or declaration of a method that shares a type's name (HubDirectories.TrustedList(...)) is not a use of the type.
                var isCall = m.Index + m.Length < code.Length && code[m.Index + m.Length] == '(' && !code[..m.Index].EndsWith("new ", StringComparison.Ordinal);
                if (isCall || !declaredIn.TryGetValue(m.Value, out var owner) || owner == folder) continue;
                if (!graph[folder].TryGetValue(owner, out var types)) graph[folder][owner] = types = [];
                types.Add(m.Value);
            }
        }
        return graph;
    }

    private static bool Reaches(Dictionary<string, Dictionary<string, HashSet<string>>> graph, string from, string target)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([from]);
        while (stack.TryPop(out var node))
        {
            if (node == target) return true;
            if (!seen.Add(node)) continue;
            foreach (var next in graph.GetValueOrDefault(node)?.Keys ?? Enumerable.Empty<string>()) stack.Push(next);
        }
        return false;
    }

    /// <summary>A file's part: its folder (a sub-folder of its own), the façade, or for another root file the file itself.</summary>
    private static string PartOf(string relative)
    {
        var folder = Path.GetDirectoryName(relative)!.Replace('\\', '/');
        if (folder.Length > 0) return folder;
        var name = Path.GetFileName(relative);
        return IsFacadeFile(name) ? Facade : RootFile(Path.GetFileNameWithoutExtension(name));
    }

    private static string StripCommentsAndStrings(string code)
        => StringLiteral().Replace(LineComment().Replace(code, ""), "\"\"");

    [GeneratedRegex(@"\b(?:class|record|struct|enum|interface)\s+([A-Z][A-Za-z0-9_]*)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9_]*\b")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"@?\$?""(?:[^""\\]|\\.)*""")]
    private static partial Regex StringLiteral();
}
