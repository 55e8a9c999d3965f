using System.Text;
using System.Text.Encodings.Web;

namespace HubHost.Serve;

/// <summary>
/// Builds HTML where every string is encoded unless it is marked as markup: <see cref="Append(string?)"/> encodes,
/// <see cref="Raw"/> is only for the page's own tags and the sanitised README.
/// </summary>
internal sealed class Html
{
    private readonly StringBuilder _sb = new(8192);
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    /// <summary>Encoded text (also safe inside a double-quoted attribute).</summary>
    public Html Append(string? text)
    {
        if (!string.IsNullOrEmpty(text)) Encoder.Encode(new StringWriter(_sb), text);
        return this;
    }

    public Html Raw(string markup)
    {
        _sb.Append(markup);
        return this;
    }

    /// <summary>An attribute, value encoded: <c> name="value"</c>.</summary>
    public Html Attr(string name, string? value)
    {
        _sb.Append(' ').Append(name).Append("=\"");
        Append(value);
        _sb.Append('"');
        return this;
    }

    /// <summary>An element with encoded text content and an optional class.</summary>
    public Html Tag(string tag, string? text, string? cls = null)
    {
        _sb.Append('<').Append(tag);
        if (cls is not null) Attr("class", cls);
        _sb.Append('>');
        Append(text);
        _sb.Append("</").Append(tag).Append('>');
        return this;
    }

    public static string Encode(string? text) => text is null ? "" : Encoder.Encode(text);

    public int Length => _sb.Length;

    public override string ToString() => _sb.ToString();
}
