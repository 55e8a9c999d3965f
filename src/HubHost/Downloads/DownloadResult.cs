namespace HubHost.Downloads;

/// <summary>A downloaded (and, with a hash prefix, verified) file in place.</summary>
/// <param name="Path">The destination (absolute).</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the file, or null when an existing file was used unread.</param>
/// <param name="Length">The file's size in bytes.</param>
/// <param name="Downloaded">False when the file was already there (cached, or finished by another process while this one waited).</param>
public sealed record DownloadResult(string Path, string? Sha256, long Length, bool Downloaded);
