namespace HubHost.Downloads;

/// <summary>A downloaded (and, with a hash prefix, verified) file in place.</summary>
public sealed record DownloadResult
{
    internal DownloadResult(string Path, string? Sha256, long Length, bool Downloaded)
    {
        this.Path = Path;
        this.Sha256 = Sha256;
        this.Length = Length;
        this.Downloaded = Downloaded;
    }

    /// <summary>The destination (absolute).</summary>
    public string Path { get; init; }

    /// <summary>Lower-case hex SHA-256 of the file, or null when an existing file was used unread.</summary>
    public string? Sha256 { get; init; }

    /// <summary>The file's size in bytes.</summary>
    public long Length { get; init; }

    /// <summary>False when the file was already there (cached, or finished by another process while this one waited).</summary>
    public bool Downloaded { get; init; }
}
