using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Storage;

namespace HubHost.Sources.Git;

/// <summary>
/// What a ref resolved to when it was last fetched: <c>&lt;hub&gt;/git/refs/&lt;mirror&gt;/&lt;ref&gt;.json</c>, written
/// to a temp file and renamed over the old one, so a reader sees the old record or the new one, never half.
/// </summary>
/// <param name="Url">The remote URL (never carries a credential).</param>
/// <param name="Ref">The ref as asked for, or HEAD for the default branch.</param>
/// <param name="Commit">The full 40-hex commit SHA.</param>
/// <param name="ResolvedAt">When the remote was last asked.</param>
/// <param name="Validation">For a commit SHA asked for: <see cref="Reachable"/> when a branch or tag of the repo was seen to reach
/// it, <see cref="Skipped"/> when it was loaded with SkipValidation; null for branches and tags.</param>
internal sealed record GitRefRecord(string Url, string Ref, string Commit, DateTimeOffset ResolvedAt, string? Validation = null)
{
    public const string Reachable = "reachable";

    public const string Skipped = "skipped";

    public static GitRefRecord? TryRead(string path)
    {
        if (JsonRecords.ReadFlatObject(path) is not { } v
            || JsonRecords.Text(v, nameof(Url)) is not { } url || JsonRecords.Text(v, nameof(Ref)) is not { } reference
            || JsonRecords.Text(v, nameof(Commit)) is not { } commit || JsonRecords.Date(v, nameof(ResolvedAt)) is not { } resolvedAt)
            return null;
        return commit.Length == 40 && commit.All(Uri.IsHexDigit) ? new GitRefRecord(url, reference, commit, resolvedAt, JsonRecords.Text(v, nameof(Validation))) : null;
    }

    public void Write(string path) => AtomicFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(this, GitJson.Default.GitRefRecord));
}

/// <summary>mirror.json inside a mirror folder: which URL it mirrors (written before the folder is published).</summary>
internal sealed record GitMirrorInfo(string Url, string Name, DateTimeOffset CreatedAt)
{
    public const string FileName = "hubhost-mirror.json";

    public static GitMirrorInfo? TryRead(string mirror)
    {
        if (JsonRecords.ReadFlatObject(Path.Combine(mirror, FileName)) is not { } v
            || JsonRecords.Text(v, nameof(Url)) is not { } url || JsonRecords.Text(v, nameof(Name)) is not { } name
            || JsonRecords.Date(v, nameof(CreatedAt)) is not { } createdAt)
            return null;
        return new GitMirrorInfo(url, name, createdAt);
    }

    public void Write(string mirror) => File.WriteAllText(Path.Combine(mirror, FileName), JsonSerializer.Serialize(this, GitJson.Default.GitMirrorInfo));
}

/// <summary>The generated serializer of the git records (read back with <see cref="JsonRecords"/>).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(GitRefRecord))]
[JsonSerializable(typeof(GitMirrorInfo))]
internal sealed partial class GitJson : JsonSerializerContext;
