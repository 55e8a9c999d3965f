using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace HubHost.Sources.Git;

/// <summary>
/// A parsed git source: the remote URL (never with a credential in it), the ref asked for (null: the
/// remote's HEAD), and the names the cache and the trusted list use for it.
/// </summary>
internal sealed partial record GitRemote
{
    /// <summary>The forms a git source may take, for error messages.</summary>
    public const string AcceptedForms =
        "Accepted forms: a local folder (./my-hub, /abs/path), owner/name, owner/name:REF (REF a branch such as main or feature/x, a tag, or a commit SHA), " +
        "or a git URL (https://, http://, git://, ssh://, file://) with an optional #REF.";

    private static readonly string[] UrlSchemes = ["https://", "http://", "git://", "ssh://", "file://"];

    private GitRemote(string text, string url, string? reference, string? ownerName)
    {
        Text = text;
        Url = url;
        Ref = reference;
        OwnerName = ownerName;
    }

    /// <summary>The same remote at a full commit SHA (what a lock pins), still shown as the user wrote it.</summary>
    public GitRemote AtCommit(string commit) => new(Text, Url, commit, OwnerName);

    /// <summary>What the user typed (trimmed).</summary>
    public string Text { get; }

    /// <summary>The URL git fetches from.</summary>
    public string Url { get; }

    /// <summary>The ref asked for; null means the remote's default branch (its HEAD).</summary>
    public string? Ref { get; }

    /// <summary><c>owner/name</c> when written that way, else null.</summary>
    public string? OwnerName { get; }

    /// <summary>How the ref is recorded in the cache: the ref, or <c>HEAD</c> for the default branch.</summary>
    public string RefLabel => Ref ?? "HEAD";

    /// <summary>The repo without its ref (for messages and the CLI): <c>owner/name</c> or the URL.</summary>
    public string RepoName => OwnerName ?? Url;

    /// <summary>Whether the URL came from <c>owner/name</c> on the configured base (GITHUB_TOKEN applies to it).</summary>
    public bool IsOwnerForm => OwnerName is not null;

    /// <summary>
    /// The key in the trusted list: <c>owner/name</c> for GitHub repos (as torch.hub writes it), otherwise the
    /// normalised URL (lower-case scheme and host, no trailing <c>.git</c> or slash).
    /// </summary>
    public string TrustKey => OwnerName is not null && Url == GitUrls.DefaultBaseUrl + OwnerName + ".git" ? OwnerName : GitUrls.NormalizeUrl(Url);

    /// <summary>The mirror folder name: readable part plus a hash of the URL, so two URLs never share a mirror.</summary>
    public string MirrorName
    {
        get
        {
            var readable = OwnerName ?? string.Join('/', Url.TrimEnd('/').Split('/').TakeLast(2));
            if (readable.EndsWith(".git", StringComparison.OrdinalIgnoreCase)) readable = readable[..^4];
            return Sanitize(readable.Replace('/', '_')) + "-" + ShortHash(Url);
        }
    }

    /// <summary>The file name of this ref's record in the mirror's record folder.</summary>
    public string RecordFileName => Sanitize(RefLabel.Replace('/', '_')) + "-" + ShortHash(RefLabel)[..8] + ".json";

    /// <summary>
    /// Parses <c>owner/name[:ref]</c> (on <paramref name="baseUrl"/>, a checked <see cref="HubOptions.GitBaseUrl"/>)
    /// or a git URL with <c>#ref</c>; anything else is a HubException naming the accepted forms.
    /// </summary>
    public static GitRemote Parse(string text, string baseUrl)
    {
        text = text.Trim();
        if (text.Length == 0) throw Malformed(text, "it is empty");
        if (text.Any(char.IsWhiteSpace)) throw Malformed(text, "it contains a space");
        if (UrlSchemes.Any(s => text.StartsWith(s, StringComparison.OrdinalIgnoreCase))) return ParseUrl(text);
        if (text.Contains("://", StringComparison.Ordinal))
            throw Malformed(text, "its URL scheme is not one git sources use");

        var colon = text.IndexOf(':');
        var repo = colon < 0 ? text : text[..colon];
        string? reference = colon < 0 ? null : text[(colon + 1)..];
        var parts = repo.Split('/');
        if (parts.Length != 2) throw Malformed(text, parts.Length > 2 ? "it has more than one '/' before the ref" : "it is not owner/name");
        if (parts[0].Length == 0) throw Malformed(text, "the owner is empty");
        if (parts[1].Length == 0) throw Malformed(text, "the repo name is empty");
        foreach (var part in parts)
            if (!NamePart().IsMatch(part) || part is "." or "..")
                throw Malformed(text, $"'{part}' is not a valid owner or repo name (letters, digits, '-', '_' and '.')");
        var name = parts[1].EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? parts[1][..^4] : parts[1];
        if (name.Length == 0) throw Malformed(text, "the repo name is empty");
        if (reference is not null) CheckRef(text, reference);
        var ownerName = parts[0] + "/" + name;
        return new GitRemote(text, baseUrl + ownerName + ".git", reference, ownerName);
    }

    private static GitRemote ParseUrl(string text)
    {
        var hash = text.IndexOf('#');
        var url = hash < 0 ? text : text[..hash];
        string? reference = hash < 0 ? null : text[(hash + 1)..];
        if (GitUrls.HasCredentials(url))
            throw new HubException($"'{GitUrls.RedactUserInfo(text)}' has a user name, password or token in its URL. {GitUrls.CredentialAdvice}");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "file" && string.IsNullOrEmpty(uri.Host)))
            throw Malformed(text, "the URL is not valid");
        if (uri.AbsolutePath.Trim('/').Length == 0) throw Malformed(text, "the URL has no repo path");
        if (reference is not null) CheckRef(text, reference);
        return new GitRemote(text, url, reference, null);
    }

    private static void CheckRef(string text, string reference)
    {
        if (reference.Length == 0) throw Malformed(text, "the ref after ':' or '#' is empty");
        if (reference.StartsWith('-') || reference.StartsWith('/') || reference.EndsWith('/') || reference.EndsWith('.')
            || reference.EndsWith(".lock", StringComparison.Ordinal) || reference.Contains("..", StringComparison.Ordinal)
            || reference.Contains("//", StringComparison.Ordinal) || reference.Contains("@{", StringComparison.Ordinal)
            || reference.Any(c => c < 0x20 || c == 0x7f || "~^:?*[\\".Contains(c)))
            throw Malformed(text, $"'{reference}' is not a valid git ref");
    }

    private static HubException Malformed(string text, string why)
        => new($"'{GitUrls.RedactUserInfo(text)}' is not a valid repo: {why}. {AcceptedForms}");

    /// <summary>Whether a ref looks like an abbreviated or full commit SHA.</summary>
    public static bool LooksLikeSha(string reference) => reference.Length is >= 4 and <= 40 && reference.All(Uri.IsHexDigit);

    internal static string ShortHash(string value)
        => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..12];

    private static string Sanitize(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        var result = sb.ToString().TrimStart('.');
        return result.Length > 60 ? result[..60] : result.Length == 0 ? "repo" : result;
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]+$")]
    private static partial Regex NamePart();

}
