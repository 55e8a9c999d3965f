using Microsoft.Extensions.Hosting;

namespace HubHost.Hosting;

/// <summary>Relative paths in configuration are taken relative to the host's content root, as ASP.NET Core takes its files.</summary>
internal static class HubPaths
{
    /// <summary>A relative local repo (<c>./x</c>, <c>../x</c>, <c>.</c>, <c>..</c>) made absolute against the content root; anything else as is.</summary>
    public static string FromContentRoot(string repo, IHostEnvironment? environment)
    {
        var text = repo.Trim();
        var relative = text is "." or ".." || text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal);
        return relative && environment?.ContentRootPath is { Length: > 0 } root ? Path.GetFullPath(Path.Combine(root, text)) : text;
    }

    /// <summary>
    /// A hub directory as written in configuration: <c>~</c> or <c>~/x</c> as is (the client takes it under the user's
    /// home), another relative path made absolute against the content root (the current folder without a host).
    /// </summary>
    public static string HubDirectory(string directory, IHostEnvironment? environment) => ConfiguredFile(directory, environment);

    /// <summary>A file or folder as written in configuration (a lock file): <c>~/x</c> as is, another relative path against the content root.</summary>
    public static string ConfiguredFile(string directory, IHostEnvironment? environment)
    {
        var text = directory.Trim();
        if (text == "~" || text.StartsWith("~/", StringComparison.Ordinal)) return text;
        return environment?.ContentRootPath is { Length: > 0 } root ? Path.GetFullPath(Path.Combine(root, text)) : Path.GetFullPath(text);
    }
}
