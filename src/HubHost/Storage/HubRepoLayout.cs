namespace HubHost.Storage;

/// <summary>The .NET hubconf contract: what makes a folder a hub repo.</summary>
internal static class HubRepoLayout
{
    /// <summary>The project at the repo root; its PackageReferences are the repo's dependencies.</summary>
    public const string ProjectFileName = "hubconf.csproj";

    /// <summary>The public static class whose public static methods are the entrypoints.</summary>
    public const string ClassName = "Hubconf";

    /// <summary>What makes a folder a Python torch.hub repo (what <c>hubhost import</c> reads).</summary>
    public const string PythonHubconf = "hubconf.py";

    /// <summary>The message for a folder or commit (<paramref name="what"/>) without <see cref="PythonHubconf"/> at its root.</summary>
    public static string NotAPythonRepo(string what)
        => $"{what} is not a Python torch.hub repo: it has no {PythonHubconf} at its root. Give the repo (or ref) whose {PythonHubconf} defines the entrypoints.";

    /// <summary>Whether a repo string names a local folder: an absolute path, or one starting with <c>./</c>, <c>../</c> or <c>~/</c> (or <c>.</c>, <c>..</c>, <c>~</c>).</summary>
    public static bool LooksLikePath(string repo)
        => repo.StartsWith('/') || repo.StartsWith("./", StringComparison.Ordinal) || repo.StartsWith("../", StringComparison.Ordinal)
           || repo.StartsWith("~/", StringComparison.Ordinal) || repo is "." or ".." or "~";
}
