using System.Text.Json;
using System.Text.Json.Serialization;
using HubHost.Storage;
using NuGet.Frameworks;
using NuGet.Versioning;

namespace HubHost.Sources.NuGet;

/// <summary>
/// <c>hubhost.json</c> at the root of a hub package (written by <c>hubhost pack</c>): what makes a NuGet package a
/// hub repo, where it was built from, the contract versions its assembly references, and its entrypoints.
/// </summary>
internal sealed record HubPackageManifest
{
    public const string FileName = "hubhost.json";

    /// <summary>The package folder holding the repo's own files (weights and data it ships); the repo sees it as its folder.</summary>
    public const string RepoFolder = "hub/repo";

    /// <summary>The manifest format this hub reads; a higher one is refused.</summary>
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Id { get; init; }

    public required string Version { get; init; }

    /// <summary>The repo as it was named when packed (owner/name:ref, a URL, or a folder).</summary>
    public required string Repo { get; init; }

    /// <summary>The git URL or folder it was built from.</summary>
    public required string Source { get; init; }

    public string? Ref { get; init; }

    /// <summary>The full commit for a git repo; null for a folder.</summary>
    public string? Commit { get; init; }

    /// <summary>The hub's content key of what was built (git-SHA or local-hash).</summary>
    public required string ContentKey { get; init; }

    /// <summary>The hubconf assembly's file name under lib/&lt;tfm&gt;/.</summary>
    public required string Assembly { get; init; }

    /// <summary>The target framework the assemblies are under (lib/&lt;tfm&gt;).</summary>
    public required string TargetFramework { get; init; }

    /// <summary>Shared contract assemblies the hubconf assembly references, with the assembly versions it was compiled against.</summary>
    public required Dictionary<string, string> Contracts { get; init; }

    public required List<HubPackageEntrypoint> Entrypoints { get; init; }

    /// <summary>The HubHost version that packed it.</summary>
    public string? PackedBy { get; init; }

    /// <summary>
    /// What is wrong with the paths this manifest names, or null: <see cref="Assembly"/> must be one .dll file name and
    /// <see cref="TargetFramework"/> one framework folder name (net10.0), so that <c>lib/&lt;tfm&gt;/&lt;assembly&gt;</c> is a
    /// file of the package itself. A manifest is data from the package's author: a name like <c>../../x.dll</c> or an
    /// absolute path would load code from outside the package, past its SHA-512 check.
    /// </summary>
    public string? PathProblem()
    {
        if (!FileNames.IsPlainFileName(Assembly) || !Assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            return $"its assembly '{Assembly}' is not the file name of a .dll (such as hubconf.dll)";
        if (!FileNames.IsPlainFileName(TargetFramework) || !IsFrameworkFolder(TargetFramework))
            return $"its targetFramework '{TargetFramework}' is not a target framework folder name (such as net10.0)";
        return null;
    }

    private static bool IsFrameworkFolder(string name)
    {
        try
        {
            return !NuGetFramework.ParseFolder(name).IsUnsupported;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The manifest of an extracted hub package, or one HubException: not a hub package, unreadable, a newer format,
    /// or paths that leave the package (<see cref="PathProblem"/>).
    /// </summary>
    public static HubPackageManifest Read(string packageFolder, string id, NuGetVersion version)
    {
        var path = Path.Combine(packageFolder, FileName);
        if (!File.Exists(path))
            throw new HubException($"The package {id} {version} is not a hub package: it has no {FileName}. " +
                                   "Hub packages are made with `hubhost pack REPO`; a library package is a dependency of a hub repo, not a repo itself.");
        var manifest = TryParse(File.ReadAllBytes(path))
                       ?? throw new HubException($"The package {id} {version} has a {FileName} that cannot be read. Pack it again with `hubhost pack`.");
        if (manifest.Format > CurrentFormat)
            throw new HubException($"The package {id} {version} was packed in hub package format {manifest.Format}; this host reads format {CurrentFormat}. Update the host.");
        if (manifest.PathProblem() is { } problem)
            throw new HubException($"The package {id} {version} is refused: {problem}. A hub package's {FileName} names only its own " +
                                   "lib/<tfm>/ assembly; nothing was loaded. Ask its publisher to pack it again with `hubhost pack`.");
        return manifest;
    }

    /// <summary>Readable JSON (signatures keep their <c>-&gt;</c> and quotes unescaped).</summary>
    public byte[] ToJson()
    {
        var options = new JsonSerializerOptions(HubPackageJson.Default.Options) { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return JsonSerializer.SerializeToUtf8Bytes(this, options.GetTypeInfo(typeof(HubPackageManifest)));
    }

    /// <summary>Parses a manifest; null when the bytes are not one.</summary>
    public static HubPackageManifest? TryParse(byte[] json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, HubPackageJson.Default.HubPackageManifest);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One entrypoint as listed in a hub package's manifest.</summary>
internal sealed record HubPackageEntrypoint(string Name, string Signature, string Summary);

/// <summary>What a <c>nuget:Id@range</c> last resolved to (so a range seen before loads without the network).</summary>
internal sealed record NuGetResolution(string Id, string Range, string Version, DateTimeOffset ResolvedAt);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HubPackageManifest))]
[JsonSerializable(typeof(NuGetResolution))]
internal sealed partial class HubPackageJson : JsonSerializerContext;
