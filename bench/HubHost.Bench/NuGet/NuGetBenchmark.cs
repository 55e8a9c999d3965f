namespace HubHost.Bench.NuGet;

/// <summary>
/// Prebuilt packages against git sources, whole <c>hubhost load</c> processes: the json-v13 sample (a repo with a NuGet
/// dependency, Newtonsoft.Json 13) served as a git repo over file://, and the same repo packed with <c>hubhost pack</c>
/// and pushed with <c>dotnet nuget push</c> into a folder feed with its dependency. Cold: a fresh hub directory each
/// run (git: clone + build + load; nuget: resolve + download the closure + lay out + load, under HUBHOST_NO_BUILD=1).
/// Warm: the same hub directory again. Goal: a cold package load at least 5x faster than a cold git+build load.
/// </summary>
internal sealed class NuGetBenchmark : IBenchmark
{
    public string Name => "nuget";

    public string Description => "nuget: sources: cold and warm package load vs cold and warm git+build load, whole process";

    private const int ColdGitRuns = 3;
    private const int ColdPackageRuns = 5;
    private const int WarmRuns = 10;

    public Task RunAsync(string[] args)
    {
        var root = Path.Combine(Path.GetTempPath(), $"hubhost-bench-nuget-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            var cli = Path.Combine(AppContext.BaseDirectory, "HubHost.Cli.dll");
            var baseUrl = ServeSampleAsGit(root, "json-v13");
            var gitEnv = (string home) => new Dictionary<string, string> { ["HUBHOST_HOME"] = home, ["HUBHOST_GIT_BASE_URL"] = baseUrl, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
            Console.WriteLine($"nuget benchmark in {root} (plugins-sample/json-v13: hubconf + Newtonsoft.Json 13.0.3)");

            // Pack once (what CI does), push to a folder feed with the dependency's package.
            var packed = Path.Combine(root, "packed");
            Measure.Run("dotnet", [cli, "pack", "hubs/json:main", "-o", packed, "--id", "Bench.Json", "--version", "1.0.0", "--trust-repo"], gitEnv(Path.Combine(root, "ci")));
            var feed = Path.Combine(root, "feed");
            Directory.CreateDirectory(feed);
            Measure.Run("dotnet", ["nuget", "push", Path.Combine(packed, "*.nupkg"), "--source", feed]);
            Measure.Run("dotnet", ["nuget", "push", FindNupkg(Path.Combine(root, "ci", "hub"), "newtonsoft.json", "13.0.3"), "--source", feed]);
            var server = Path.Combine(root, "server");
            Directory.CreateDirectory(server);
            File.WriteAllText(Path.Combine(server, "nuget.config"),
                $"<configuration><packageSources><clear /><add key=\"feed\" value=\"{feed}\" /></packageSources></configuration>\n");

            // First run of the CLI binary and of git, not measured.
            Measure.Run("dotnet", [cli, "list", "hubs/json:main", "--trust-repo"], gitEnv(Path.Combine(root, "warmup")));

            var coldGit = new List<double>();
            for (var i = 0; i < ColdGitRuns; i++)
                coldGit.Add(Load(cli, ["load", "hubs/json:main", "describe", "--trust-repo"], gitEnv(Path.Combine(root, $"git-{i}")), null));
            var warmGit = new List<double>();
            for (var i = 0; i < WarmRuns; i++)
                warmGit.Add(Load(cli, ["load", "hubs/json:main", "describe"], gitEnv(Path.Combine(root, "git-0")), null));

            var packageEnv = (string home) => new Dictionary<string, string> { ["HUBHOST_HOME"] = home, ["HUBHOST_NO_BUILD"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" };
            var coldPackage = new List<double>();
            for (var i = 0; i < ColdPackageRuns; i++)
                coldPackage.Add(Load(cli, ["load", "nuget:Bench.Json", "describe", "--trust-repo"], packageEnv(Path.Combine(root, $"pkg-{i}")), server));
            var warmPackage = new List<double>();
            for (var i = 0; i < WarmRuns; i++)
                warmPackage.Add(Load(cli, ["load", "nuget:Bench.Json", "describe"], packageEnv(Path.Combine(root, "pkg-0")), server));
            var offline = packageEnv(Path.Combine(root, "pkg-0"));
            offline["HUBHOST_OFFLINE"] = "1";
            var warmOffline = new List<double>();
            for (var i = 0; i < WarmRuns; i++)
                warmOffline.Add(Load(cli, ["load", "nuget:Bench.Json", "describe"], offline, server));

            double cg = Measure.Median(coldGit), wg = Measure.Median(warmGit), cp = Measure.Median(coldPackage), wp = Measure.Median(warmPackage), wo = Measure.Median(warmOffline);
            Console.WriteLine($"cold git load (clone + dotnet build + load), whole process, median of {ColdGitRuns}: {cg:0} ms");
            Console.WriteLine($"warm git load (cached ref and build), whole process, median of {WarmRuns}: {wg:0} ms");
            Console.WriteLine($"cold nuget: load (versions, download 2 packages + hash, lay out, load; no build), whole process, median of {ColdPackageRuns}: {cp:0} ms   -> {cg / cp:0.0}x faster than cold git (goal >= 5x)");
            Console.WriteLine($"warm nuget: load (recorded version, laid-out folder), whole process, median of {WarmRuns}: {wp:0} ms   -> {wg / wp:0.00}x vs warm git");
            Console.WriteLine($"warm nuget: load with HUBHOST_OFFLINE=1, whole process, median of {WarmRuns}: {wo:0} ms");
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        return Task.CompletedTask;
    }

    private static double Load(string cli, string[] args, Dictionary<string, string> environment, string? workingDirectory)
    {
        var previous = Directory.GetCurrentDirectory();
        if (workingDirectory is not null) Directory.SetCurrentDirectory(workingDirectory);
        try
        {
            var (stdout, ms) = Measure.Run("dotnet", [cli, .. args], environment);
            if (!stdout.Contains("Newtonsoft.Json 13.0.0.0", StringComparison.Ordinal)) throw new InvalidOperationException("unexpected output: " + stdout);
            return ms;
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    /// <summary>Commits a sample into a bare repo <c>hubs/json.git</c> (branch main); returns the HUBHOST_GIT_BASE_URL serving it.</summary>
    private static string ServeSampleAsGit(string root, string sample)
    {
        var work = Path.Combine(root, "work");
        var bare = Path.Combine(root, "srv", "hubs", "json.git");
        Directory.CreateDirectory(work);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Measure.RepoRoot, "plugins-sample", sample)))
            File.Copy(file, Path.Combine(work, Path.GetFileName(file)));
        Git(null, "init", "--quiet", "--bare", bare);
        Git(bare, "symbolic-ref", "HEAD", "refs/heads/main");
        Git(work, "init", "--quiet", "-b", "main");
        Git(work, "add", "-A");
        Git(work, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "--quiet", "-m", sample);
        Git(work, "push", "--quiet", bare, "main");
        return "file://" + Path.Combine(root, "srv") + "/";
    }

    private static void Git(string? directory, params string[] args) => Measure.Git(directory, args);

    private static string FindNupkg(string hubDirectory, string id, string version)
    {
        var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(global)) global = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var folder in new[] { Path.Combine(hubDirectory, "packages"), global })
        {
            var path = Path.Combine(folder, id, version, $"{id}.{version}.nupkg");
            if (File.Exists(path)) return path;
        }
        throw new InvalidOperationException($"{id} {version} is in no packages folder; restore the solution first.");
    }
}
