namespace HubHost.Serve;

/// <summary>The server's page and API addresses (refs and names always as escaped query values).</summary>
internal static class Urls
{
    public static string Entry(CatalogRepo repo, string refLabel, string name)
        => $"/repos/{repo.Id}/entrypoints/{Uri.EscapeDataString(name)}?ref={Uri.EscapeDataString(refLabel)}";

    public static string Compare(CatalogRepo repo, string? a = null, string? b = null)
        => $"/repos/{repo.Id}/compare" + (a is null || b is null ? "" : $"?a={Uri.EscapeDataString(a)}&b={Uri.EscapeDataString(b)}");

    /// <summary>A repo file (a README's link or picture) through the server.</summary>
    public static string File(CatalogRepo repo, string refLabel, string path)
        => $"/repos/{repo.Id}/files/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}?ref={Uri.EscapeDataString(refLabel)}";

    public static string Image(CatalogRepo repo, string refLabel, string name)
        => $"/repos/{repo.Id}/image?ref={Uri.EscapeDataString(refLabel)}&entry={Uri.EscapeDataString(name)}";

    /// <summary>The image a card shows: an https URL as is, a repo-relative file through the server, else none.</summary>
    public static string? ImageSource(CatalogRepo repo, string refLabel, string name, string? image)
    {
        if (string.IsNullOrWhiteSpace(image)) return null;
        if (Uri.TryCreate(image, UriKind.Absolute, out var uri))
            return uri.Scheme == Uri.UriSchemeHttps ? uri.AbsoluteUri : null;
        return RepoFiles.IsServableImage(image) ? Image(repo, refLabel, name) : null;
    }

    /// <summary>A paper link: http(s) only.</summary>
    public static string? Paper(string? paper)
        => Uri.TryCreate(paper, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri.AbsoluteUri : null;
}

/// <summary>What kind of repo file the server sends, and how.</summary>
internal enum RepoFileKind
{
    /// <summary>A picture (PNG, JPEG, GIF, WebP), sent as is.</summary>
    Image,

    /// <summary>A Markdown file, rendered into a page as the README is.</summary>
    Markdown,

    /// <summary>A text or source file (LICENSE, .txt, .cs, .py …), sent as text/plain.</summary>
    Text,
}

/// <summary>
/// The files of a repo the server may send, by one rule for every file (an entrypoint's image, the README, a file a
/// README links to): inside the repo's folder, with no symbolic link on the way (to the file or a folder above it),
/// so nothing outside the repo is ever read — in a git checkout, a local folder or a package alike. Only pictures,
/// Markdown and text or source files are sent: a local folder may hold anything (a .env, an appsettings.json with a
/// secret), and the catalog shows documentation, not the folder.
/// </summary>
internal static class RepoFiles
{
    private static readonly Dictionary<string, string> ImageTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif", [".webp"] = "image/webp",
    };

    /// <summary>Text and source files shown as text (an empty extension: LICENSE, NOTICE, AUTHORS).</summary>
    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase) { "", ".txt", ".rst", ".cs", ".fs", ".vb", ".py", ".ipynb" };

    public static bool IsServableImage(string relative) => IsPlainRelative(relative) && ImageTypes.ContainsKey(Path.GetExtension(relative));

    /// <summary>The kind of a repo-relative path the server would send, or null.</summary>
    public static RepoFileKind? KindOf(string relative)
    {
        if (!IsPlainRelative(relative)) return null;
        var extension = Path.GetExtension(relative);
        if (ImageTypes.ContainsKey(extension)) return RepoFileKind.Image;
        if (extension.Equals(".md", StringComparison.OrdinalIgnoreCase) || extension.Equals(".markdown", StringComparison.OrdinalIgnoreCase)) return RepoFileKind.Markdown;
        return TextExtensions.Contains(extension) && !Path.GetFileName(relative).StartsWith('.') ? RepoFileKind.Text : null;
    }

    /// <summary>The content type an image is sent with.</summary>
    public static string ImageType(string path) => ImageTypes[Path.GetExtension(path)];

    /// <summary>The full path and content type of a declared image under <paramref name="root"/>, or null.</summary>
    public static (string Path, string ContentType)? Resolve(string root, string relative)
        => IsServableImage(relative) && Find(root, relative) is { } full ? (full, ImageType(full)) : null;

    /// <summary>
    /// The full path of a repo file under <paramref name="root"/> (a relative path with '/' separators), or null when it
    /// is not there, leaves the folder, or a symbolic link is on the way.
    /// </summary>
    public static string? Find(string root, string relative)
    {
        if (!IsPlainRelative(relative)) return null;
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var rootFull = Path.GetFullPath(root).TrimEnd('/') + "/";
        if (!full.StartsWith(rootFull, StringComparison.Ordinal) || !File.Exists(full)) return null;
        // No symbolic links (to the file or a folder on the way), so nothing outside the repo is ever sent.
        for (var at = full; at.Length >= rootFull.Length; at = Path.GetDirectoryName(at)!)
            if ((File.GetAttributes(at) & FileAttributes.ReparsePoint) != 0) return null;
        return full;
    }

    /// <summary>The repo's README.md (any letter case) at its root, by the same rule, or null.</summary>
    public static string? Readme(string root)
        => Directory.EnumerateFileSystemEntries(root, "*", SearchOption.TopDirectoryOnly).Select(Path.GetFileName)
            .FirstOrDefault(n => string.Equals(n, "README.md", StringComparison.OrdinalIgnoreCase)) is { } name ? Find(root, name) : null;

    private static bool IsPlainRelative(string relative)
        => relative.Length > 0 && !Path.IsPathRooted(relative) && !relative.Contains('\\') && !relative.Contains('\0') && !relative.Split('/').Contains("..");
}
