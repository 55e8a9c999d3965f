using System.Text;

namespace HubHost.Downloads;

/// <summary>Names of the hidden files a download keeps beside its destination.</summary>
internal static class TempNames
{
    /// <summary>Where a download is written until complete and verified: <c>.{name}.{guid}.partial</c>, unique per download.</summary>
    public static string PartialFor(string destination)
        => Path.Combine(Path.GetDirectoryName(destination)!, $".{Shorten(Path.GetFileName(destination))}.{Guid.NewGuid():N}.partial");

    /// <summary>Where an entry is extracted until complete: <c>.{name}.{guid}.extracting</c>.</summary>
    public static string ExtractingFor(string target)
        => Path.Combine(Path.GetDirectoryName(target)!, $".{Shorten(Path.GetFileName(target))}.{Guid.NewGuid():N}.extracting");

    /// <summary>
    /// Temp files of earlier downloads of <paramref name="destination"/> whose process died (killed, power
    /// loss). Only call while holding the destination's lock: then no live download owns one.
    /// </summary>
    public static IEnumerable<string> StalePartialsOf(string destination)
    {
        var directory = Path.GetDirectoryName(destination)!;
        var prefix = "." + Shorten(Path.GetFileName(destination)) + ".";
        const string suffix = ".partial";
        if (!Directory.Exists(directory)) yield break;
        foreach (var path in Directory.EnumerateFiles(directory, prefix + "*" + suffix))
        {
            var name = Path.GetFileName(path);
            if (name.Length != prefix.Length + 32 + suffix.Length || !name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (name.AsSpan(prefix.Length, 32).ContainsAnyExcept("0123456789abcdef")) continue;
            yield return path;
        }
    }

    /// <summary>Resume records (<c>.partial.resume</c>) of <paramref name="destination"/>'s partial downloads; same rule as <see cref="StalePartialsOf"/>.</summary>
    public static IEnumerable<string> StaleResumeRecordsOf(string destination)
    {
        var directory = Path.GetDirectoryName(destination)!;
        if (!Directory.Exists(directory)) yield break;
        var prefix = "." + Shorten(Path.GetFileName(destination)) + ".";
        foreach (var path in Directory.EnumerateFiles(directory, prefix + "*.partial.resume"))
        {
            var name = Path.GetFileName(path);
            if (name.Length == prefix.Length + 32 + ".partial.resume".Length && !name.AsSpan(prefix.Length, 32).ContainsAnyExcept("0123456789abcdef"))
                yield return path;
        }
    }

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
