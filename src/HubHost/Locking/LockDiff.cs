namespace HubHost.Locking;

/// <summary>What changed between two locks, repo by repo (<see cref="HubLock.Compare"/>): what a release note of a model app needs.</summary>
internal static class LockDiff
{
    public static LockComparison Compare(HubLock before, HubLock after)
    {
        var changes = new List<LockChange>();
        var names = before.Repos.Select(r => r.Repo).Union(after.Repos.Select(r => r.Repo), StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var a = before.Repos.FirstOrDefault(r => r.Repo == name);
            var b = after.Repos.FirstOrDefault(r => r.Repo == name);
            if (a is null || b is null)
            {
                changes.Add(new LockChange(name, "repo", name, a?.Source.Describe(), b?.Source.Describe()));
                continue;
            }
            if (a.Source != b.Source) changes.Add(new LockChange(name, "source", a.Source.Kind == b.Source.Kind ? a.Source.Kind : "kind", Source(a.Source), Source(b.Source)));
            Pairs(changes, name, "built-against", a.BuiltAgainst, b.BuiltAgainst);
            Pairs(changes, name, "package",
                a.Packages.ToDictionary(p => p.Id, p => p.Version + " sha512:" + Short(p.Sha512), StringComparer.OrdinalIgnoreCase),
                b.Packages.ToDictionary(p => p.Id, p => p.Version + " sha512:" + Short(p.Sha512), StringComparer.OrdinalIgnoreCase));
            Pairs(changes, name, "weights",
                a.Weights.ToDictionary(w => w.Url, Weights, StringComparer.Ordinal),
                b.Weights.ToDictionary(w => w.Url, Weights, StringComparer.Ordinal));
            Pairs(changes, name, "call",
                a.Calls.Select(c => c.ToString()).Distinct().ToDictionary(c => c, _ => "called", StringComparer.Ordinal),
                b.Calls.Select(c => c.ToString()).Distinct().ToDictionary(c => c, _ => "called", StringComparer.Ordinal));
        }
        return new LockComparison(changes);
    }

    private static void Pairs(List<LockChange> changes, string repo, string aspect, IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b)
    {
        foreach (var key in a.Keys.Union(b.Keys, StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase))
        {
            var before = a.GetValueOrDefault(key);
            var after = b.GetValueOrDefault(key);
            if (before != after) changes.Add(new LockChange(repo, aspect, key, before, after));
        }
    }

    private static string Source(LockedSource s) => s.Kind switch
    {
        "git" => $"{s.Url}{(s.Ref is null ? "" : "#" + s.Ref)} at {s.Commit}",
        "nuget" => $"{s.Id} {s.Version} sha512:{Short(s.Sha512 ?? "")}",
        _ => $"{s.Path} {s.ContentKey}",
    };

    private static string Weights(LockedWeights w) => $"sha256:{w.Sha256[..16]}… {w.Size} bytes{(w.Commit is null ? "" : $" at {w.Commit[..12]}")}";

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] + "…" : hash;
}
