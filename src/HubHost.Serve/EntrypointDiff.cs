using HubHost.Entrypoints;

namespace HubHost.Serve;

/// <summary>How an entrypoint differs between two refs.</summary>
internal enum ChangeKind
{
    Unchanged,
    Added,
    Removed,
    Changed,
}

/// <summary>One difference: <c>signature</c>, <c>default</c> or <c>doc</c>, with what it was and is.</summary>
internal sealed record Change(string Aspect, string What, string? Before, string? After);

/// <summary>One entrypoint across two refs.</summary>
internal sealed record EntrypointChange(string Name, ChangeKind Kind, IReadOnlyList<Change> Changes, EntrypointInfo? Before, EntrypointInfo? After);

/// <summary>Compares the entrypoints of two refs of a repo: added, removed, signature, defaults and docs changed.</summary>
internal static class EntrypointDiff
{
    public static IReadOnlyList<EntrypointChange> Compare(IReadOnlyList<EntrypointInfo> before, IReadOnlyList<EntrypointInfo> after)
    {
        var result = new List<EntrypointChange>();
        var afterByName = after.ToDictionary(e => e.Name, StringComparer.Ordinal);
        var beforeByName = before.ToDictionary(e => e.Name, StringComparer.Ordinal);
        foreach (var a in before)
        {
            if (!afterByName.TryGetValue(a.Name, out var b))
            {
                result.Add(new EntrypointChange(a.Name, ChangeKind.Removed, [], a, null));
                continue;
            }
            var changes = Changes(a, b);
            result.Add(new EntrypointChange(a.Name, changes.Count == 0 ? ChangeKind.Unchanged : ChangeKind.Changed, changes, a, b));
        }
        foreach (var b in after.Where(b => !beforeByName.ContainsKey(b.Name)))
            result.Add(new EntrypointChange(b.Name, ChangeKind.Added, [], null, b));
        return result;
    }

    private static List<Change> Changes(EntrypointInfo a, EntrypointInfo b)
    {
        var changes = new List<Change>();
        // The signature without defaults: parameter names, types and order, and the return type.
        static string Shape(EntrypointInfo e) => $"({string.Join(", ", e.Parameters.Select(p => $"{p.Type} {p.Name}"))}) -> {e.ReturnType}";
        if (Shape(a) != Shape(b)) changes.Add(new Change("signature", "signature", a.Signature, b.Signature));
        foreach (var p in a.Parameters)
        {
            var q = b.Parameters.FirstOrDefault(x => x.Name == p.Name);
            if (q is null) continue;
            string Default(EntrypointParameter x) => x.HasDefault ? x.DefaultValue ?? "null" : "(required)";
            if (Default(p) != Default(q)) changes.Add(new Change("default", p.Name, Default(p), Default(q)));
            if ((p.Description ?? "") != (q.Description ?? "")) changes.Add(new Change("doc", $"parameter {p.Name}", p.Description, q.Description));
        }
        if (a.Summary != b.Summary) changes.Add(new Change("doc", "summary", a.Summary, b.Summary));
        if ((a.Returns ?? "") != (b.Returns ?? "")) changes.Add(new Change("doc", "returns", a.Returns, b.Returns));
        if ((a.Remarks ?? "") != (b.Remarks ?? "")) changes.Add(new Change("doc", "remarks", a.Remarks, b.Remarks));
        var ea = string.Join("\n\n", a.Examples);
        var eb = string.Join("\n\n", b.Examples);
        if (ea != eb) changes.Add(new Change("doc", "examples", ea, eb));
        return changes;
    }
}
