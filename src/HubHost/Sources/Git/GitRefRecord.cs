using System.Text.Json;
using HubHost.Caching;

namespace HubHost.Sources.Git;

/// <summary>
/// What a ref resolved to when it was last fetched: <c>&lt;hub&gt;/git/refs/&lt;mirror&gt;/&lt;ref&gt;.json</c>, written
/// to a temp file and renamed over the old one, so a reader sees the old record or the new one, never half.
/// </summary>
/// <param name="Url">The remote URL (never carries a credential).</param>
/// <param name="Ref">The ref as asked for, or HEAD for the default branch.</param>
/// <param name="Commit">The full 40-hex commit SHA.</param>
/// <param name="ResolvedAt">When the remote was last asked.</param>
internal sealed record GitRefRecord(string Url, string Ref, string Commit, DateTimeOffset ResolvedAt)
{
    public static GitRefRecord? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            var record = JsonSerializer.Deserialize(File.ReadAllText(path), CacheJson.Default.GitRefRecord);
            return record is { Commit.Length: 40 } && record.Commit.All(Uri.IsHexDigit) ? record : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + $".tmp-{Guid.NewGuid():N}";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, CacheJson.Default.GitRefRecord));
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>mirror.json inside a mirror folder: which URL it mirrors (written before the folder is published).</summary>
internal sealed record GitMirrorInfo(string Url, string Name, DateTimeOffset CreatedAt)
{
    public const string FileName = "hubhost-mirror.json";

    public static GitMirrorInfo? TryRead(string mirror)
    {
        try
        {
            var path = Path.Combine(mirror, FileName);
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), CacheJson.Default.GitMirrorInfo) : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public void Write(string mirror) => File.WriteAllText(Path.Combine(mirror, FileName), JsonSerializer.Serialize(this, CacheJson.Default.GitMirrorInfo));
}
