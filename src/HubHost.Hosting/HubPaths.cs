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

    /// <summary>A relative hub directory (not <c>~</c>-based) made absolute against the content root; anything else as is.</summary>
    public static string? HubDirectoryFromContentRoot(string? directory, IHostEnvironment? environment)
        => directory is { Length: > 0 } && !Path.IsPathRooted(directory) && !directory.StartsWith('~') && environment?.ContentRootPath is { Length: > 0 } root
            ? Path.GetFullPath(Path.Combine(root, directory))
            : directory;
}
