using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

using HubHost.Storage;

namespace HubHost.Downloads;

/// <summary>
/// What a later process needs to resume a partial download left by one that was killed: beside
/// <c>.{name}.{guid}.partial</c>, a <c>.partial.resume</c> file with a digest of the URL (a URL may carry secrets),
/// the validator the server gave (strong ETag, else Last-Modified, sent back as If-Range so a changed file is
/// never stitched onto the old bytes) and the announced length. Written only when the server supports Range and
/// gave a validator; without it a leftover partial is deleted, as before.
/// </summary>
internal sealed record ResumeRecord(RangeConditionHeaderValue Validator, long? Total)
{
    private const string Magic = "hubhost-resume 1";

    public static string PathFor(string partial) => partial + ".resume";

    public static void Write(string partial, Uri url, RangeConditionHeaderValue validator, long? total)
    {
        var text = string.Join("\n", Magic, UrlDigest(url), validator.ToString(), total?.ToString(CultureInfo.InvariantCulture) ?? "");
        AtomicFile.Write(PathFor(partial), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)), flushToDisk: false);
    }

    /// <summary>The record beside <paramref name="partial"/> when it was written for <paramref name="url"/>; null otherwise.</summary>
    public static ResumeRecord? TryRead(string partial, Uri url)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllText(PathFor(partial)).Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (lines.Length != 4 || lines[0] != Magic || lines[1] != UrlDigest(url) || !RangeConditionHeaderValue.TryParse(lines[2], out var validator))
            return null;
        long? total = long.TryParse(lines[3], NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;
        return new ResumeRecord(validator, total);
    }

    public static void Delete(string partial)
    {
        try { File.Delete(PathFor(partial)); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string UrlDigest(Uri url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)));
}
