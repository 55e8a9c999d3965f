using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace HubHost.Serve;

/// <summary>
/// A repo's README.md as HTML that cannot run anything: raw HTML in the Markdown is shown as text
/// (DisableHtml), and a link or image whose URL is not http(s), mailto or relative points nowhere.
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

    /// <summary>The rendered README.md of a repo folder, or null when it has none.</summary>
    public static string? RenderReadme(string directory)
    {
        var path = Directory.EnumerateFiles(directory, "*", SearchOption.TopDirectoryOnly)
            .FirstOrDefault(f => string.Equals(Path.GetFileName(f), "README.md", StringComparison.OrdinalIgnoreCase));
        if (path is null) return null;
        string text;
        try
        {
            using var stream = File.OpenRead(path);
            var buffer = new byte[Math.Min(stream.Length, MaxBytes)];
            stream.ReadExactly(buffer);
            text = System.Text.Encoding.UTF8.GetString(buffer);
        }
        catch (IOException)
        {
            return null;
        }
        return Render(text);
    }

    public static string Render(string markdown)
    {
        var document = Markdig.Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
            if (!IsSafeUrl(link.Url)) link.Url = "#";
        foreach (var link in document.Descendants<AutolinkInline>())
            if (!IsSafeUrl(link.Url)) link.Url = "#";
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
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
