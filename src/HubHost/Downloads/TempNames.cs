using System.Text;

namespace HubHost.Downloads;

/// <summary>Names of the hidden files a download keeps beside its destination.</summary>
internal static class TempNames
{
    /// <summary>Where a download is written until complete and verified: <c>.{name}.{guid}.partial</c>, unique per download.</summary>
    public static string PartialFor(string destination)
        => Path.Combine(Path.GetDirectoryName(destination)!, $".{Shorten(Path.GetFileName(destination))}.{Guid.NewGuid():N}.partial");

    /// <summary>Keeps derived names within the usual 255-byte file name limit.</summary>
    public static string Shorten(string name)
    {
        const int maxBytes = 180;
        if (Encoding.UTF8.GetByteCount(name) <= maxBytes) return name;
        var builder = new StringBuilder();
        foreach (var rune in name.EnumerateRunes())
        {
            if (Encoding.UTF8.GetByteCount(builder.ToString()) + rune.Utf8SequenceLength > maxBytes) break;
            builder.Append(rune.ToString());
        }
        return builder.ToString();
    }
}
