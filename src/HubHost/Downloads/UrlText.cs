namespace HubHost.Downloads;

/// <summary>URLs as they may appear in messages and logs: no user info, no query, no fragment.</summary>
internal static class UrlText
{
    /// <summary><c>https://user:secret@host/p?token=x</c> becomes <c>https://host/p?…</c>.</summary>
    public static string Redact(Uri url)
    {
        var text = url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        return string.IsNullOrEmpty(url.Query) || url.Query == "?" ? text : text + "?…";
    }

    /// <summary>Parses an absolute http or https URL, or throws a <see cref="HubException"/> saying what is wrong.</summary>
    public static Uri ParseHttp(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || !IsHttp(uri))
            throw new HubException($"'{Shorten(url)}' is not an http or https URL; give a URL such as https://example.com/weights.pth.");
        return uri;
    }

    public static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>True when <paramref name="text"/> looks like an http(s) URL (rather than a local path).</summary>
    public static bool LooksLikeHttp(string text)
        => text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string text)
    {
        // A string that is not a URL may still hold a secret: show only its start.
        var q = text.IndexOfAny(['?', '#']);
        if (q >= 0) text = text[..q] + "?…";
        return text.Length <= 200 ? text : text[..200] + "…";
    }
}
