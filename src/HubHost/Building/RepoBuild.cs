using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Storage;

namespace HubHost.Building;

/// <summary>What a build takes: a version's files and the names it is shown and cached by.</summary>
/// <param name="DisplayName">The repo as the user named it.</param>
/// <param name="Version">Its short version.</param>
/// <param name="ContentKey">Names exactly these files.</param>
/// <param name="Directory">The folder holding them.</param>
internal sealed record RepoFiles(string DisplayName, string Version, ContentKey ContentKey, string Directory);

/// <summary>A finished build of one repo version: its output folder and main assembly.</summary>
/// <param name="Directory">The build folder (published atomically; never changes once it exists).</param>
/// <param name="MainAssemblyPath">The built hubconf assembly.</param>
/// <param name="Record">What was built, as stored in the folder's build.json.</param>
internal sealed record RepoBuild(string Directory, string MainAssemblyPath, BuildRecord Record)
{
    /// <summary>The repo's files as built (bin and obj removed): what the repo sees as its own folder.</summary>
    public string SourceDirectory => Path.Combine(Directory, "src");
}

/// <summary>build.json: written last inside a build folder; a folder without it is not a finished build.</summary>
internal sealed record BuildRecord(string Repo, string Version, string ContentKey, string ContractFingerprint, string Assembly, DateTimeOffset BuiltAt, double BuildSeconds)
{
    public const string FileName = "build.json";

    public static BuildRecord? TryRead(string buildDirectory)
    {
        if (JsonRecords.ReadFlatObject(Path.Combine(buildDirectory, FileName)) is not { } v) return null;
        if (JsonRecords.Text(v, nameof(Repo)) is not { } repo || JsonRecords.Text(v, nameof(Version)) is not { } version
            || JsonRecords.Text(v, nameof(ContentKey)) is not { } contentKey || JsonRecords.Text(v, nameof(ContractFingerprint)) is not { } contract
            || JsonRecords.Text(v, nameof(Assembly)) is not { } assembly || JsonRecords.Date(v, nameof(BuiltAt)) is not { } builtAt
            || !FileNames.IsPlainFileName(assembly)) // out/<assembly> only: a record naming a path is not one this hub wrote
            return null;
        var seconds = v.TryGetValue(nameof(BuildSeconds), out var s) && double.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : 0;
        return new BuildRecord(repo, version, contentKey, contract, assembly, builtAt, seconds);
    }

    public void Write(string buildDirectory)
        => File.WriteAllText(Path.Combine(buildDirectory, FileName), JsonSerializer.Serialize(this, BuildJson.Default.BuildRecord));
}

/// <summary>The generated serializer of build.json (read back with <see cref="JsonRecords"/>).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(BuildRecord))]
internal sealed partial class BuildJson : JsonSerializerContext;
