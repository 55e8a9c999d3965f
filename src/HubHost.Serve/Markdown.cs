using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HubHost.Serve;

/// <summary>
/// A repo's README.md (and the Markdown files it links to) as HTML that cannot run anything: raw HTML in the Markdown
/// is shown as text (DisableHtml), a link or image whose URL is not http(s), mailto or relative points nowhere, and a
/// relative link (<c>docs/guide.md</c>, <c>./LICENSE</c>, <c>/docs/x.md</c> from the repo's root, a picture) is
/// rewritten to the server's copy of that repo file — or points nowhere when it leaves the repo.
/// </summary>
internal static class Markdown
{
    /// <summary>READMEs larger than this are cut (a page, not a book).</summary>
    private const int MaxBytes = 512 * 1024;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseAutoLinks()
        .UseTaskLists()
        .UseAutoIdentifiers()
        .DisableHtml()
        .Build();

    /// <summary>What is shown instead of a README that cannot be rendered (nested deeper than Markdig allows).</summary>
    public const string TooDeep = "<p class=\"none\">README.md is not shown: it is nested more deeply than the Markdown renderer allows.</p>";

    /// <summary>
    /// The rendered README.md of a repo folder (found by <see cref="RepoFiles.Readme"/>: never through a symbolic link),
    /// or null when it has none; relative links go through <paramref name="fileUrl"/> (a repo path to the server's URL).
    /// A README the renderer refuses is replaced by a note: the README is dropped, not the repo.
    /// </summary>
    public static string? RenderReadme(string directory, Func<string, string>? fileUrl = null)
    {
        if (RepoFiles.Readme(directory) is not { } path) return null;
        return ReadFile(path) is { } text ? RenderOrNote(text, "", fileUrl) : null;
    }

    /// <summary>A repo file's text (cut at <see cref="MaxBytes"/>), or null when it cannot be read.</summary>
    public static string? ReadFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[Math.Min(stream.Length, MaxBytes)];
            stream.ReadExactly(buffer);
            return System.Text.Encoding.UTF8.GetString(buffer);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary><see cref="Render"/>, or <see cref="TooDeep"/> when Markdig refuses the document's depth.</summary>
    public static string RenderOrNote(string markdown, string folder, Func<string, string>? fileUrl)
    {
        try
        {
            return Render(markdown, folder, fileUrl);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or InsufficientExecutionStackException)
        {
            return TooDeep;
        }
    }

    /// <summary>
    /// Renders Markdown; relative link targets are resolved against <paramref name="folder"/> (the document's folder in
    /// the repo, "" for the root) and sent through <paramref name="fileUrl"/>; without it they are left as they are.
    /// </summary>
    public static string Render(string markdown, string folder = "", Func<string, string>? fileUrl = null)
    {
        var document = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (!IsSafeUrl(link.Url)) link.Url = "#";
            else if (fileUrl is not null && RepoTarget(link.Url, folder) is var (path, fragment)) link.Url = path is null ? "#" : fileUrl(path) + fragment;
        }
        foreach (var link in document.Descendants<AutolinkInline>())
            if (!IsSafeUrl(link.Url)) link.Url = "#";
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    /// <summary>
    /// For a relative link: the repo path it names (null when it leaves the repo) and its #fragment; for anything else
    /// (a URL with a scheme, //host, a bare #anchor, an empty link) null.
    /// </summary>
    internal static (string? Path, string Fragment)? RepoTarget(string? url, string folder)
    {
        if (string.IsNullOrWhiteSpace(url) || url.StartsWith('#') || url.StartsWith("//", StringComparison.Ordinal) || url.Contains(':')) return null;
        var hash = url.IndexOf('#');
        var fragment = hash < 0 ? "" : url[hash..];
        var target = hash < 0 ? url : url[..hash];
        var query = target.IndexOf('?');
        if (query >= 0) target = target[..query];
        if (target.Length == 0) return null;
        var segments = new List<string>();
        // From the repo's root when it starts with '/' (as GitHub reads it), else from the document's folder.
        foreach (var part in (target.StartsWith('/') ? target : folder + "/" + target).Split('/'))
        {
            var segment = Uri.UnescapeDataString(part);
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (segments.Count == 0) return (null, "");
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            if (segment.Contains('\\') || segment.Contains('\0')) return (null, "");
            segments.Add(segment);
        }
        return (segments.Count == 0 ? null : string.Join('/', segments), fragment);
    }

    /// <summary>http, https and mailto URLs, and relative ones (no scheme); never javascript:, data: and the like.</summary>
    internal static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return true;
        var trimmed = new string(url.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).ToArray());
        var colon = trimmed.IndexOf(':');
        var boundary = trimmed.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (boundary >= 0 && boundary < colon)) return true;
        var scheme = trimmed[..colon].ToLowerInvariant();
        return scheme is "http" or "https" or "mailto";
    }
}
