using System.Globalization;
using System.Security.Cryptography;
using System.Text;

using HubHost.Storage;

namespace HubHost.Downloads;

/// <summary>
/// Which URL last produced a destination file, so a download that waited on another download of the same
/// destination can use that file instead of fetching it again. One small note per destination in the hub's
/// locks folder (never beside the user's file); it holds a digest of the URL (a URL may carry secrets),
/// and the file's size, modification time and SHA-256, so a file changed since is never taken for it.
/// </summary>
internal sealed class CompletedDownloads(string directory)
{
    public void Record(Uri url, DownloadResult result)
    {
        if (result.Sha256 is null) return;
        var info = new FileInfo(result.Path);
        var text = string.Join("\n", UrlDigest(url), result.Path, info.Length.ToString(CultureInfo.InvariantCulture),
            info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture), result.Sha256);
        try
        {
            AtomicFile.Write(NotePath(result.Path), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(text)), flushToDisk: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only an optimisation for waiting downloads: without the note they download again.
        }
    }

    /// <summary>The destination as another download of <paramref name="url"/> left it, if it is still exactly that file.</summary>
    public DownloadResult? Find(Uri url, string destination)
    {
        string[] lines;
        try
        {
            var path = NotePath(destination);
            if (!File.Exists(path)) return null;
            lines = File.ReadAllText(path).Split('\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var info = new FileInfo(destination);
        if (lines.Length != 5 || lines[0] != UrlDigest(url) || lines[1] != destination || !info.Exists
            || lines[2] != info.Length.ToString(CultureInfo.InvariantCulture)
            || lines[3] != info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture))
            return null;
        return new DownloadResult(destination, lines[4], info.Length, Downloaded: false);
    }

    private string NotePath(string destination)
        => Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(destination)))[..32] + ".download");

    private static string UrlDigest(Uri url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)));
}
