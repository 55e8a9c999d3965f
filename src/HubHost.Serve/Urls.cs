namespace HubHost.Serve;

/// <summary>The server's page and API addresses (refs and names always as escaped query values).</summary>
internal static class Urls
{
    public static string Entry(CatalogRepo repo, string refLabel, string name)
        => $"/repos/{repo.Id}/entrypoints/{Uri.EscapeDataString(name)}?ref={Uri.EscapeDataString(refLabel)}";

    public static string Compare(CatalogRepo repo, string? a = null, string? b = null)
        => $"/repos/{repo.Id}/compare" + (a is null || b is null ? "" : $"?a={Uri.EscapeDataString(a)}&b={Uri.EscapeDataString(b)}");

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

/// <summary>Files of a repo the server may send: only an entrypoint's declared image, inside the repo, of an image type.</summary>
internal static class RepoFiles
{
    private static readonly Dictionary<string, string> ImageTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = "image/png", [".jpg"] = "image/jpeg", [".jpeg"] = "image/jpeg", [".gif"] = "image/gif", [".webp"] = "image/webp",
    };

    public static bool IsServableImage(string relative)
        => !Path.IsPathRooted(relative) && !relative.Contains('\\') && !relative.Split('/').Contains("..") && ImageTypes.ContainsKey(Path.GetExtension(relative));

    /// <summary>The full path and content type of a declared image under <paramref name="root"/>, or null.</summary>
    public static (string Path, string ContentType)? Resolve(string root, string relative)
    {
        if (!IsServableImage(relative)) return null;
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var rootFull = Path.GetFullPath(root).TrimEnd('/') + "/";
        if (!full.StartsWith(rootFull, StringComparison.Ordinal) || !File.Exists(full)) return null;
        // No symbolic links (to the file or a folder on the way), so nothing outside the repo is ever sent.
        for (var at = full; at.Length >= rootFull.Length; at = Path.GetDirectoryName(at)!)
            if ((File.GetAttributes(at) & FileAttributes.ReparsePoint) != 0) return null;
        return (full, ImageTypes[Path.GetExtension(full)]);
    }
}
