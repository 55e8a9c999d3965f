using System.Security.Cryptography;
using System.Text;

namespace HubHost.Downloads;

/// <summary>
/// Where a weights file comes from: an http(s) URL or a file on the Hugging Face hub (<c>hf://</c>). <see cref="Key"/> is
/// the text the checkpoint cache and a lock know it by: the URL without user info or fragment (its query kept: two queries
/// may be two files), or the <c>hf://</c> URL with its revision spelt out. <see cref="Shown"/> is what messages, logs,
/// <c>cache ls</c> and lock files show: never a user name, password or query (they may carry a secret).
/// </summary>
internal sealed record WeightsSource(string Key, string Shown, Uri? Http, HfLocation? Hf)
{
    /// <summary>An http(s) or hf:// URL, or one HubException saying what to give.</summary>
    public static WeightsSource Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (HuggingFaceUrls.IsHf(url))
        {
            return Of(HuggingFaceUrls.Parse(url));
        }
        var uri = UrlText.ParseHttp(url);
        return new WeightsSource(uri.GetComponents(UriComponents.HttpRequestUrl, UriFormat.UriEscaped), UrlText.Redact(uri), uri, null);
    }

    /// <summary>A file on the Hugging Face hub.</summary>
    public static WeightsSource Of(HfLocation hf) => new(hf.Text, hf.Text, null, hf);

    /// <summary>Whether <paramref name="text"/> is meant as a URL (http, https or hf) rather than a local path.</summary>
    public static bool LooksLikeUrl(string text) => UrlText.LooksLikeHttp(text) || HuggingFaceUrls.IsHf(text);

    /// <summary>The file's own name: the URL's last path segment.</summary>
    public string FileName => Hf?.FileName ?? CheckpointFiles.FileNameOf(Http!);

    /// <summary>SHA-256 of <see cref="Key"/> (hex): names the cache folder and is recorded beside the file (the URL itself may hold a secret).</summary>
    public string Digest { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key)));
}
