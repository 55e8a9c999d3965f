using System.Text.Json;
using HubHost.Caching;

namespace HubHost.Building;

/// <summary>A finished build of one repo version: its output folder and main assembly.</summary>
/// <param name="Directory">The build folder (published atomically; never changes once it exists).</param>
/// <param name="MainAssemblyPath">The built hubconf assembly.</param>
/// <param name="Record">What was built, as stored in the folder's build.json.</param>
internal sealed record RepoBuild(string Directory, string MainAssemblyPath, BuildRecord Record);

/// <summary>build.json: written last inside a build folder; a folder without it is not a finished build.</summary>
internal sealed record BuildRecord(string Repo, string Version, string ContentKey, string ContractFingerprint, string Assembly, DateTimeOffset BuiltAt, double BuildSeconds)
{
    public const string FileName = "build.json";

    public static BuildRecord? TryRead(string buildDirectory)
    {
        var path = Path.Combine(buildDirectory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), CacheJson.Default.BuildRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(string buildDirectory)
        => File.WriteAllText(Path.Combine(buildDirectory, FileName), JsonSerializer.Serialize(this, CacheJson.Default.BuildRecord));
}
