using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Serve;

namespace HubHost.Cli.Commands;

/// <summary>
/// The catalog file (JSON): <c>{ "title": "...", "refreshMinutes": 10, "repos": [ { "repo": "owner/name", "refs": ["main", "v2"] },
/// { "repo": "./local-hub" } ] }</c>. A local folder is relative to the catalog file's folder.
/// </summary>
internal sealed class CatalogFile
{
    /// <summary>The page title; null: the default.</summary>
    public string? Title { get; set; }

    /// <summary>How often refs are resolved again, in minutes (0: only on the refresh button); null: the default.</summary>
    public double? RefreshMinutes { get; set; }

    /// <summary>The repos to show, each with the refs to show (none: its default branch).</summary>
    public List<CatalogFileRepo>? Repos { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads a catalog file; anything wrong is one HubException saying what and where.</summary>
    public static CatalogFile Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HubException($"Could not read the catalog file {path}: {e.Message}");
        }
        CatalogFile? file;
        try
        {
            file = JsonSerializer.Deserialize<CatalogFile>(text, Json);
        }
        catch (JsonException e)
        {
            throw new HubException($"The catalog file {path} is not valid: {e.Message} " +
                                   "Expected {\"repos\": [{\"repo\": \"owner/name\", \"refs\": [\"main\"]}, {\"repo\": \"./folder\"}]}.");
        }
        if (file?.Repos is null)
            throw new HubException($"The catalog file {path} has no \"repos\" list. Expected {{\"repos\": [{{\"repo\": \"owner/name\", \"refs\": [\"main\"]}}]}}.");
        for (var i = 0; i < file.Repos.Count; i++)
        {
            var repo = file.Repos[i];
            if (repo is null || string.IsNullOrWhiteSpace(repo.Repo))
                throw new HubException($"The catalog file {path}: repos[{i}] has no \"repo\".");
            if (repo.Refs is { } refs && refs.Any(string.IsNullOrWhiteSpace))
                throw new HubException($"The catalog file {path}: repos[{i}] ({repo.Repo}) has an empty ref.");
        }
        if (file.RefreshMinutes is < 0 or > ServeOptions.MaxRefreshMinutes)
            throw new HubException($"The catalog file {path}: refreshMinutes must be 0 (only on the Refresh button) to {ServeOptions.MaxRefreshMinutes} (4 weeks), not {file.RefreshMinutes}.");
        return file;
    }

    /// <summary>The repo strings, one per ref; local folders made absolute against <paramref name="baseDirectory"/>.</summary>
    public IEnumerable<string> RepoStrings(string baseDirectory)
    {
        foreach (var entry in Repos ?? [])
        {
            var repo = entry.Repo!.Trim();
            var local = repo.StartsWith('/') || repo.StartsWith("./", StringComparison.Ordinal) || repo.StartsWith("../", StringComparison.Ordinal) || repo is "." or "..";
            if (local)
            {
                if (entry.Refs is { Count: > 0 })
                    throw new HubException($"The catalog file: {repo} is a local folder, which has no refs; remove \"refs\" or give a git repo.");
                yield return Path.GetFullPath(Path.Combine(baseDirectory, repo));
                continue;
            }
            if (entry.Refs is not { Count: > 0 })
            {
                yield return repo;
                continue;
            }
            var separator = repo.Contains("://", StringComparison.Ordinal) ? '#' : ':';
            foreach (var r in entry.Refs) yield return repo + separator + r.Trim();
        }
    }
}

/// <summary>One entry of the catalog file's repos.</summary>
internal sealed class CatalogFileRepo
{
    /// <summary><c>owner/name</c>, a git URL, or a local folder (relative to the catalog file).</summary>
    public string? Repo { get; set; }

    /// <summary>The refs to show (branches, tags, commits); none for a local folder.</summary>
    public List<string>? Refs { get; set; }
}
