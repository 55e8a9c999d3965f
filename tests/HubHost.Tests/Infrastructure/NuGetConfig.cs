namespace HubHost.Tests.Infrastructure;

/// <summary>nuget.config files for tests: one feed, with &lt;clear/&gt; so no other feed is asked.</summary>
public static class NuGetConfig
{
    /// <summary>Writes <c>nuget.config</c> into <paramref name="folder"/> with the one feed <paramref name="source"/> named <paramref name="key"/>; returns its path.</summary>
    public static string Write(string folder, string key, string source)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "nuget.config");
        File.WriteAllText(path, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="{key}" value="{source}" allowInsecureConnections="true" />
              </packageSources>
            </configuration>
            """);
        return path;
    }
}
