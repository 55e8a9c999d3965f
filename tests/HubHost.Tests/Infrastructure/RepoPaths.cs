namespace HubHost.Tests.Infrastructure;

/// <summary>Paths in this source tree (tests use the sample and fixture repos where they are).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Sample(string name) => Path.Combine(Root, "plugins-sample", name);

    public static string FixtureRepo(string name) => Path.Combine(Root, "tests", "fixtures", "repos", name);

    public static string Fixture(params string[] parts) => Path.Combine([Root, "tests", "fixtures", .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HubHost.sln"))) return dir.FullName;
        throw new InvalidOperationException("HubHost.sln not found above " + AppContext.BaseDirectory);
    }
}
