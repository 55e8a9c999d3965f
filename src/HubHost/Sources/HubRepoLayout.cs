namespace HubHost.Sources;

/// <summary>The .NET hubconf contract: what makes a folder a hub repo.</summary>
internal static class HubRepoLayout
{
    /// <summary>The project at the repo root; its PackageReferences are the repo's dependencies.</summary>
    public const string ProjectFileName = "hubconf.csproj";

    /// <summary>The public static class whose public static methods are the entrypoints.</summary>
    public const string ClassName = "Hubconf";
}
