using System.IO.Compression;
using System.Text.RegularExpressions;
using HubHost.Storage;

namespace HubHost.Downloads;

/// <summary>
/// torch.hub's checkpoint cache conventions: the file name comes from the URL, a <c>-HEX.</c> part of it is a
/// prefix of the file's SHA-256, and a zip holding exactly one file (the legacy format) stands for that file.
/// </summary>
internal static partial class CheckpointFiles
{
    /// <summary>torch.hub's HASH_REGEX, searched (not matched) in the file name.</summary>
    [GeneratedRegex(@"-([a-f0-9]*)\.", RegexOptions.CultureInvariant)]
    private static partial Regex HashRegex();

    /// <summary>The hash prefix in a name like <c>resnet18-f37072fd.pth</c> ("f37072fd"), or null when there is none.</summary>
    public static string? HashPrefixOf(string fileName)
    {
        var match = HashRegex().Match(fileName);
        return match.Success && match.Groups[1].Length > 0 ? match.Groups[1].Value : null;
    }

    /// <summary>The URL's last path segment, unescaped, as a file name.</summary>
    public static string FileNameOf(Uri url)
    {
        var path = url.AbsolutePath;
        var name = Uri.UnescapeDataString(path[(path.LastIndexOf('/') + 1)..]);
        if (!FileNames.IsPlainFileName(name))
            throw new HubException($"Cannot name a checkpoint file after {UrlText.Redact(url)}: its path does not end in a file name. Give a file name.");
        return name;
    }

    /// <summary>The full SHA-256 (lower-case hex) and size of a file, read once from start to end.</summary>
    public static async Task<(string Sha256, long Length)> Sha256Async(string path, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var digest = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        return (digest, stream.Length);
    }

    /// <summary>Refuses names that are not a single file name (separators, "..", empty).</summary>
    public static string CheckFileName(string fileName)
    {
        if (!FileNames.IsPlainFileName(fileName))
            throw new HubException($"'{fileName}' is not a file name: give a name without directories, such as 'weights.pth'.");
        return fileName;
    }


    /// <summary>
    /// The file to load for a cached checkpoint: <paramref name="path"/> itself, or, for a zip with exactly one
    /// entry that is a file (torch's <c>_is_legacy_zip_format</c>), that entry extracted into the same
    /// directory. A torch.save file is a zip too, but with several entries, so it is never extracted.
    /// </summary>
    public static async Task<string> ResolveLegacyZipAsync(string path, CancellationToken cancellationToken)
    {
        if (!StartsLikeZip(path)) return path;
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            return path; // not a readable zip: the checkpoint reader will say what is wrong with it
        }
        using (archive)
        {
            if (archive.Entries.Count != 1 || IsDirectory(archive.Entries[0])) return path;
            return await ExtractSingleAsync(path, archive.Entries[0], cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool StartsLikeZip(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic is [(byte)'P', (byte)'K', 3, 4];
    }

    private static bool IsDirectory(ZipArchiveEntry entry) => entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\');

    private static async Task<string> ExtractSingleAsync(string zipPath, ZipArchiveEntry entry, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(zipPath))!;
        var target = SafeTarget(directory, entry.FullName, zipPath);
        if (string.Equals(target, Path.GetFullPath(zipPath), StringComparison.Ordinal))
            throw new HubException($"The zip '{zipPath}' holds a file with its own name; cannot extract it over itself.");
        if (File.Exists(target) && new FileInfo(target).Length == entry.Length) return target;

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = TempNames.ExtractingFor(target);
        try
        {
            using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var input = entry.Open())
            {
                var buffer = new byte[1 << 16];
                var crc = new System.IO.Hashing.Crc32(); // ZipArchive does not check it
                long total = 0;
                int read;
                while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > entry.Length)
                        throw new HubException($"The zip '{zipPath}' is corrupt: entry '{entry.FullName}' holds more than the {entry.Length} bytes it declares.");
                    crc.Append(buffer.AsSpan(0, read));
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
                if (crc.GetCurrentHashAsUInt32() != entry.Crc32)
                    throw new HubException($"The zip '{zipPath}' is corrupt: entry '{entry.FullName}' fails its CRC-32 check (the zip records {entry.Crc32:x8}, its bytes give {crc.GetCurrentHashAsUInt32():x8}), so it was damaged after it was written. It was not extracted; delete the zip and download it again.");
            }
            File.Move(temp, target, overwrite: true);
            return target;
        }
        catch (InvalidDataException e)
        {
            throw new HubException($"The zip '{zipPath}' is corrupt: {e.Message} Delete it and download it again.", e);
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Where an entry may be extracted: inside <paramref name="directory"/>, never outside (zip-slip). Absolute,
    /// rooted and drive paths and ".." segments are refused.
    /// </summary>
    internal static string SafeTarget(string directory, string entryName, string zipPath)
    {
        var name = entryName.Replace('\\', '/');
        var segments = name.Split('/');
        var refused = name.Length == 0 || name.Contains('\0') || name.StartsWith('/')
                      || (name.Length >= 2 && name[1] == ':')
                      || segments.Any(s => s == ".." || s.Contains(':'))
                      || segments.All(s => s is "" or ".");
        var root = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var target = refused ? null : Path.GetFullPath(Path.Combine(root, Path.Combine(segments.Where(s => s is not ("" or ".")).ToArray())));
        if (target is null || !target.StartsWith(root, StringComparison.Ordinal))
            throw new HubException(
                $"The zip '{zipPath}' holds an entry named '{entryName}', which would be written outside '{directory}'. " +
                "It was not extracted; the file is not a valid checkpoint archive.");
        return target;
    }
}
