namespace HubHost.Storage;

/// <summary>What kind of content a <see cref="ContentKey"/> names.</summary>
internal enum ContentKind
{
    /// <summary>A git commit (the key's value is its full SHA).</summary>
    Git,

    /// <summary>A local folder's files (the value is the SHA-256 over their paths and bytes).</summary>
    Local,

    /// <summary>A prebuilt hub package (the value is <c>id@version</c>, lower case).</summary>
    Package,
}

/// <summary>
/// Names exactly one version's content: a git commit, a local folder's content hash, or a package id and version. Its text
/// (<c>git-&lt;sha&gt;</c>, <c>local-&lt;sha256&gt;</c>, <c>nuget-&lt;id&gt;@&lt;version&gt;</c>) is what build.json, lease files and
/// build folder names hold, so it is parsed in one place (<see cref="Parse"/>) and nobody else splits the string.
/// </summary>
internal readonly record struct ContentKey
{
    private ContentKey(ContentKind kind, string value)
    {
        Kind = kind;
        Value = value;
    }

    public ContentKind Kind { get; }

    /// <summary>The key without its kind: a commit SHA, a content hash, <c>id@version</c>.</summary>
    public string Value { get; }

    /// <summary>The commit, for a git key; else null.</summary>
    public string? Commit => Kind == ContentKind.Git ? Value : null;

    public static ContentKey Git(string commit) => new(ContentKind.Git, commit);

    public static ContentKey Local(string contentHash) => new(ContentKind.Local, contentHash);

    public static ContentKey Package(string id, string normalizedVersion) => new(ContentKind.Package, $"{id.ToLowerInvariant()}@{normalizedVersion.ToLowerInvariant()}");

    /// <summary>A key as stored (build.json, a lock); null when the text is none of the three kinds.</summary>
    public static ContentKey? Parse(string? text)
    {
        if (text is null) return null;
        foreach (var (prefix, kind) in Prefixes)
            if (text.StartsWith(prefix, StringComparison.Ordinal) && text.Length > prefix.Length)
                return new ContentKey(kind, text[prefix.Length..]);
        return null;
    }

    private static readonly (string Prefix, ContentKind Kind)[] Prefixes = [("git-", ContentKind.Git), ("local-", ContentKind.Local), ("nuget-", ContentKind.Package)];

    /// <summary>The stored text.</summary>
    public override string ToString() => Kind switch
    {
        ContentKind.Git => "git-",
        ContentKind.Local => "local-",
        _ => "nuget-",
    } + Value;
}
