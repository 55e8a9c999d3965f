namespace HubHost.Storage;

/// <summary>
/// Writes a file so that readers see either the old content or the whole new content, never a part: the one
/// write-temp-then-rename of the hub. The temp file is <c>{path}.{32 hex}.tmp</c> beside the target
/// (<see cref="IsTempFile"/> recognises it), removed when the write fails.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="content"/> and renames it over <paramref name="path"/> (flushed to disk first).</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> content)
    {
        var bytes = content.ToArray();
        Write(path, stream => stream.Write(bytes), flushToDisk: true);
    }

    /// <summary>Writes <paramref name="lines"/> (each ended by a newline) and renames the file over <paramref name="path"/>.</summary>
    public static void WriteAllLines(string path, IEnumerable<string> lines)
        => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));

    /// <summary>
    /// Lets <paramref name="write"/> fill a new temp file beside <paramref name="path"/>, then renames it over
    /// <paramref name="path"/>; <paramref name="flushToDisk"/> makes the content durable before the rename.
    /// </summary>
    public static void Write(string path, Action<Stream> write, bool flushToDisk)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            try { if (File.Exists(temp)) File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Whether a file name is one of <see cref="Write"/>'s temp files (left behind only by a killed process).</summary>
    public static bool IsTempFile(string fileName)
        => fileName.Length > 37 && fileName.EndsWith(".tmp", StringComparison.Ordinal) && fileName[^37] == '.'
           && !fileName.AsSpan(fileName.Length - 36, 32).ContainsAnyExcept("0123456789abcdef");
}
