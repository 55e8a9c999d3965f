using System.Text.RegularExpressions;

namespace HubHost;

/// <summary>
/// The rules for the git URLs a user configures (<see cref="HubOptions.GitBaseUrl"/>, <see cref="HubOptions.TrustedOwners"/>) and
/// the sources parse: below the options and the sources alike, so checking an option needs nothing of Sources/ or Trust/.
/// </summary>
internal static partial class GitUrls
{
    /// <summary>https://github.com/, where <c>owner/name</c> points by default.</summary>
    public const string DefaultBaseUrl = "https://github.com/";

    /// <summary>
    /// A base URL for <c>owner/name</c> (<see cref="HubOptions.GitBaseUrl"/>), ending in <c>/</c>; refused, naming
    /// <paramref name="setting"/> and never repeating the secret, when it carries credentials.
    /// </summary>
    public static string CheckBaseUrl(string? configured, string setting)
    {
        if (string.IsNullOrWhiteSpace(configured)) return DefaultBaseUrl;
        configured = configured.Trim();
        if (HasCredentials(configured))
            throw new HubException($"{setting} ('{RedactUserInfo(configured)}') has a user name, password or token in it. {CredentialAdvice}");
        return configured.EndsWith('/') ? configured : configured + "/";
    }

    /// <summary>How to pass credentials instead of writing them into a URL.</summary>
    internal const string CredentialAdvice =
        "The hub would show it in its output and logs, keep it in its cache and pass it on git's command line, so it refuses such URLs. " +
        "Remove it from the URL and pass credentials the safe way: set GITHUB_TOKEN (sent only to github.com and the HUBHOST_GIT_BASE_URL host, " +
        "through git's environment), or configure a git credential helper (git config --global credential.helper ...), or use ssh keys.";

    /// <summary>
    /// Whether a URL carries a secret before its host: any user info, except an ssh user name without a password
    /// (<c>ssh://git@host/...</c> names an account, it authenticates nothing).
    /// </summary>
    internal static bool HasCredentials(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0) return false;
        var rest = url[(scheme + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? rest : rest[..end];
        var at = authority.LastIndexOf('@');
        if (at < 0) return false;
        var userInfo = authority[..at];
        return !(url[..scheme].Equals("ssh", StringComparison.OrdinalIgnoreCase) && userInfo.Length > 0 && !userInfo.Contains(':'));
    }

    /// <summary>The text with whatever stands between <c>://</c> and an <c>@</c> of the authority replaced by <c>***</c>.</summary>
    internal static string RedactUserInfo(string text) => UserInfo().Replace(text, "://***@");

    /// <summary>Lower-case scheme and host, no user info, no trailing <c>/</c> or <c>.git</c>; the path's letter case kept (servers tell paths apart by it).</summary>
    public static string NormalizeUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return url.TrimEnd('/');
        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.Ordinal)) path = path[..^4];
        var port = uri.IsDefaultPort ? "" : ":" + uri.Port;
        return $"{uri.Scheme.ToLowerInvariant()}://{uri.Host.ToLowerInvariant()}{port}{path}";
    }

    /// <summary>Whether an entry is an owner pattern (<c>owner/*</c>, <c>https://host/owner/*</c>).</summary>
    public static bool IsOwnerPattern(string entry) => entry.Trim().EndsWith("/*", StringComparison.Ordinal);

    /// <summary>
    /// The trusted-list key of an owner pattern: <c>owner/*</c> names an owner on <paramref name="gitBaseUrl"/> (kept as
    /// <c>owner/*</c> on github.com, else written as a URL), a URL ending in <c>/*</c> an owner (or group) on that host.
    /// </summary>
    /// <exception cref="HubException">It is not one; the message names <paramref name="setting"/>.</exception>
    public static string OwnerKey(string pattern, string gitBaseUrl, string setting)
    {
        var text = pattern.Trim();
        var owner = IsOwnerPattern(text) ? text[..^2].TrimEnd('/') : "";
        HubException Malformed() => new($"{setting} '{pattern}' is not an owner: give owner/* (every repo of that owner on {gitBaseUrl}) " +
                                        "or a URL such as https://git.example.com/team/* (every repo below that path).");
        if (owner.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(owner, UriKind.Absolute, out var uri) || uri.AbsolutePath.Trim('/').Length == 0 || owner.Contains('*') || HasCredentials(owner))
                throw Malformed();
            return NormalizeUrl(owner) + "/*";
        }
        if (owner.Length == 0 || owner.IndexOfAny(['/', '\\', ':', '*', '#', '@', ' ']) >= 0) throw Malformed();
        return gitBaseUrl == DefaultBaseUrl ? owner + "/*" : NormalizeUrl(gitBaseUrl + owner) + "/*";
    }

    [GeneratedRegex(@"://[^/?#]*@")]
    private static partial Regex UserInfo();
}
