using System.Text.RegularExpressions;

namespace HubHost.Downloads;

/// <summary>
/// A file on the Hugging Face hub: <c>hf://[datasets/|spaces/]owner/repo[@revision]/path</c>. <paramref name="Revision"/> is a
/// branch, a tag or a commit ("main" when none is given); the file is fetched from the hub's resolve endpoint at the commit the
/// revision points to (<see cref="HuggingFaceResolver"/>), so what is cached and locked is one commit's file.
/// </summary>
/// <param name="RepoKind">"" for a model repo, "datasets/" or "spaces/".</param>
/// <param name="RepoId"><c>owner/repo</c>.</param>
/// <param name="Revision">Branch, tag or commit SHA.</param>
/// <param name="FilePath">The file's path inside the repo (no leading '/').</param>
internal sealed record HfLocation(string RepoKind, string RepoId, string Revision, string FilePath)
{
    /// <summary>The normal form, revision spelt out: the text a cache entry and a lock record are keyed by.</summary>
    public string Text => $"{HuggingFaceUrls.Scheme}{RepoKind}{RepoId}@{Uri.EscapeDataString(Revision)}/{FilePath}";

    /// <summary>The file's own name (the last segment of its path).</summary>
    public string FileName => FilePath[(FilePath.LastIndexOf('/') + 1)..];

    /// <summary>Whether the revision is a full commit SHA (the file behind it never changes).</summary>
    public bool IsPinned => Revision.Length == 40 && Revision.All(char.IsAsciiHexDigitLower);

    /// <summary>The hub's resolve URL of this file at <paramref name="revision"/>: <c>{endpoint}/owner/repo/resolve/{revision}/{path}</c>.</summary>
    public Uri ResolveUrl(string endpoint, string revision)
        => new($"{endpoint}/{RepoKind}{RepoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', FilePath.Split('/').Select(Uri.EscapeDataString))}");
}

/// <summary>Parsing <c>hf://</c> URLs and checking the hub endpoint setting.</summary>
internal static partial class HuggingFaceUrls
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public const string Scheme = "hf://";

    private const string Forms = "Write hf://owner/repo/path/to/file or hf://owner/repo@revision/path/to/file (a branch, tag or commit; datasets/ or spaces/ before owner for those repos).";

    /// <summary>Whether <paramref name="text"/> is meant as an <c>hf://</c> URL.</summary>
    public static bool IsHf(string text) => text.TrimStart().StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>hf://[datasets/|spaces/]owner/repo[@revision]/path</c>; anything else is one HubException naming the forms.</summary>
    public static HfLocation Parse(string text)
    {
        var body = text.Trim()[Scheme.Length..];
        var shown = Shorten(text.Trim());
        if (body.Contains('?') || body.Contains('#'))
            throw new HubException($"'{shown}' has a query or fragment, which hf:// URLs do not take. {Forms}");
        var kind = "";
        foreach (var prefix in new[] { "datasets/", "spaces/", "models/" })
        {
            if (!body.StartsWith(prefix, StringComparison.Ordinal)) continue;
            kind = prefix == "models/" ? "" : prefix;
            body = body[prefix.Length..];
            break;
        }
        var parts = body.Split('/');
        if (parts.Length < 3 || parts[2..].Any(p => p.Length == 0 || p is "." or ".."))
            throw new HubException($"'{shown}' does not name a file in a Hugging Face repo. {Forms}");
        var owner = parts[0];
        var name = parts[1];
        var revision = "main";
        var at = name.IndexOf('@');
        if (at >= 0)
        {
            revision = Uri.UnescapeDataString(name[(at + 1)..]);
            name = name[..at];
            if (revision.Length == 0 || revision.Any(char.IsWhiteSpace) || revision.Contains(".."))
                throw new HubException($"'{shown}' has an empty or malformed revision after '@'. {Forms}");
            if (revision.Length == 40 && revision.All(char.IsAsciiHexDigit)) revision = revision.ToLowerInvariant();
        }
        if (!RepoPart().IsMatch(owner) || !RepoPart().IsMatch(name))
            throw new HubException($"'{shown}' does not name a Hugging Face repo: '{owner}/{name}' is not owner/repo (letters, digits, '-', '_', '.'). {Forms}");
        return new HfLocation(kind, owner + "/" + name, revision, string.Join('/', parts[2..]));
    }

    /// <summary>The endpoint without a trailing '/', or one HubException naming <paramref name="where"/> (never repeating a credential).</summary>
    public static string CheckEndpoint(string endpoint, string where)
    {
        if (!Uri.TryCreate(endpoint?.Trim(), UriKind.Absolute, out var uri) || !UrlText.IsHttp(uri))
            throw new HubException($"{where} is not an http(s) URL: give the Hugging Face hub's address, such as {DefaultEndpoint}.");
        if (uri.UserInfo.Length > 0)
            throw new HubException($"{where} ({UrlText.Redact(uri)}) carries credentials; give the token in HF_TOKEN (HubOptions.HuggingFaceToken) instead.");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new HubException($"{where} ({UrlText.Redact(uri)}) has a query or fragment: give the hub's address only, such as {DefaultEndpoint}.");
        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$", RegexOptions.CultureInvariant)]
    private static partial Regex RepoPart();

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
