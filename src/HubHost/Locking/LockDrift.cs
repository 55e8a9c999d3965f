using HubHost.Building;

namespace HubHost.Locking;

/// <summary>
/// The one-line refusals of a load under a lock: what drifted from the lock (a commit the remote lost, a package version or hash,
/// a weights file's SHA-256, a folder's content, a contract version) and the command that updates the lock when the change is
/// intended. Every message is a single line.
/// </summary>
internal static class LockDrift
{
    /// <summary>The command that writes the lock again (for the file the lock came from), for one repo or all.</summary>
    public static string UpdateCommand(HubLock hubLock, string? repo = null)
        => $"hubhost lock --update{(repo is null ? "" : " " + Quote(repo))} -o {Quote(FileShown(hubLock))}";

    /// <summary>The lock's file relative to the current folder when it is below it, else its full path; the default name for a lock in memory.</summary>
    private static string FileShown(HubLock hubLock)
    {
        if (hubLock.FilePath is not { } path) return HubLock.DefaultFileName;
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    private static string Quote(string text) => text.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$' or '&' or ';' or '|') ? "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'" : text;

    /// <summary><c>{repo} drifted from {lock}: {what}. If that change is intended, update the lock: hubhost lock --update -o FILE</c>.</summary>
    public static HubException Drifted(HubLock hubLock, string repo, string what)
        => new(OneLine($"{repo} drifted from {Name(hubLock)}: {what}. If that change is intended, update the lock: {UpdateCommand(hubLock, repo)}"));

    /// <summary>A repo the lock does not list.</summary>
    public static HubException NotLocked(HubLock hubLock, string repo)
        => new(OneLine($"{repo} is not in {Name(hubLock)}" +
                       (hubLock.Repos.Count == 0 ? " (it locks no repo)" : $" (it locks {string.Join(", ", hubLock.Repos.Take(5).Select(r => r.Repo))}{(hubLock.Repos.Count > 5 ? ", …" : "")})") +
                       $". Load a repo as the lock names it, or add this one: hubhost lock {Quote(repo)} [ENTRY --arg k=v] -o {Quote(FileShown(hubLock))}"));

    /// <summary>The weights at a URL have another SHA-256 (or commit) than the lock records.</summary>
    public static HubException Weights(HubLock hubLock, string repo, LockedWeights locked, string actualSha256, string? actualCommit)
        => Drifted(hubLock, repo,
            $"the weights at {locked.Url} now have SHA-256 {actualSha256}{(actualCommit is not null && actualCommit != locked.Commit ? $" (commit {actualCommit[..12]})" : "")}, " +
            $"the lock has {locked.Sha256} ({locked.Size} bytes{(locked.Commit is null ? "" : $", commit {locked.Commit[..12]}")})");

    /// <summary>An entrypoint fetched weights the lock does not list (another entrypoint or argument than the ones locked, or new code).</summary>
    public static HubException UnlistedWeights(HubLock hubLock, string repo, string url)
        => Drifted(hubLock, repo, $"it fetched {url}, which the lock does not list (calls locked: {string.Join("; ", hubLock.Find(repo)?.Calls.Select(c => c.ToString()) ?? [])})");

    /// <summary>The packages of a build differ from the locked ones: each difference, in one clause.</summary>
    public static string? PackageDifference(IReadOnlyList<LockedPackage> locked, IReadOnlyList<RestoredPackage> restored)
    {
        var differences = new List<string>();
        var built = restored.GroupBy(p => p.Id, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        foreach (var want in locked)
        {
            if (!built.Remove(want.Id, out var have)) differences.Add($"{want.Id} {want.Version} is missing");
            else if (have.Version != want.Version) differences.Add($"{want.Id} is {have.Version}, the lock has {want.Version}");
            else if (have.Sha512 != want.Sha512) differences.Add($"{want.Id} {want.Version} has SHA-512 {Short(have.Sha512)}, the lock has {Short(want.Sha512)}");
        }
        differences.AddRange(built.Values.Select(p => $"{p.Id} {p.Version} is new"));
        return differences.Count == 0 ? null : "its packages differ: " + string.Join(", ", differences.Take(6)) + (differences.Count > 6 ? $" and {differences.Count - 6} more" : "");
    }

    /// <summary>The contract versions a build compiled against differ from the locked ones, in one clause.</summary>
    public static string? BuiltAgainstDifference(IReadOnlyDictionary<string, string> locked, IReadOnlyDictionary<string, string> built)
    {
        var differences = locked.Keys.Union(built.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(k => locked.GetValueOrDefault(k) != built.GetValueOrDefault(k))
            .Select(k => $"{k} {built.GetValueOrDefault(k) ?? "(none)"}, the lock has {locked.GetValueOrDefault(k) ?? "(none)"}").ToList();
        return differences.Count == 0 ? null : "it was built against " + string.Join(", ", differences);
    }

    private static string Name(HubLock hubLock) => hubLock.FilePath is { } path ? Path.GetFileName(path) : "the lock";

    private static string Short(string hash) => hash.Length > 16 ? hash[..16] + "…" : hash;

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
