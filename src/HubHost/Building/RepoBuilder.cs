using System.Diagnostics;
using System.Text.RegularExpressions;
using HubHost.Storage;
using HubHost.Processes;
using Microsoft.Extensions.Logging;

namespace HubHost.Building;

/// <summary>A lock's record of a restore, for <see cref="RepoBuilder.EnsureBuiltAsync(RepoFiles, PinnedRestore?, CancellationToken)"/>.</summary>
/// <param name="NuGetLock">NuGet's packages.lock.json as the lock recorded it.</param>
/// <param name="Key">A short hash naming the folder of a build made from it.</param>
/// <param name="Matches">Whether a build's packages are the ones locked.</param>
internal sealed record PinnedRestore(string NuGetLock, string Key, Func<RepoBuild, bool> Matches);

/// <summary>A build in locked mode that NuGet refused: the locked packages are not what the feeds have now (or the lock no longer fits the project).</summary>
internal sealed class LockedRestoreException(string message) : HubException(message);

/// <summary>
/// Builds a repo version with <c>dotnet build</c> into <c>&lt;hub&gt;/builds/&lt;key&gt;</c>, once per content
/// key and contract version: the build runs in a temp folder and is renamed into place only when it
/// succeeded, so a half-written build is never used and a killed build leaves only a temp folder.
/// </summary>
internal sealed partial class RepoBuilder(string hubDirectory, HubOptions options, ILogger logger, TimeProvider time)
{
    /// <summary>How long one <c>dotnet build</c> (restore included) may take.</summary>
    private TimeSpan BuildTimeout => options.BuildTimeout;

    private int _buildsStarted;

    /// <summary>How many <c>dotnet build</c>s this builder started.</summary>
    public int BuildsStarted => Volatile.Read(ref _buildsStarted);

    /// <summary>
    /// The build of a version, made once. With <paramref name="pins"/> (a lock's record of the restore), a cached build is used
    /// when <see cref="PinnedRestore.Matches"/> accepts what it restored; otherwise the version is built with NuGet's lock file in
    /// locked mode (<c>RestoreLockedMode</c>), so restore takes exactly the locked versions and content hashes — into the usual
    /// folder when there is no build yet, else into a folder of its own (<c>&lt;key&gt;-r&lt;hash of the lock&gt;</c>).
    /// </summary>
    public async Task<RepoBuild> EnsureBuiltAsync(RepoFiles snapshot, PinnedRestore? pins, CancellationToken cancellationToken)
    {
        var key = BuildKey(snapshot.ContentKey);
        var final = Path.Combine(HubDirectories.Builds(hubDirectory), key);
        if (TryOpen(final) is { } cached && (pins is null || pins.Matches(cached))) return cached;
        if (pins is null) return await BuildAtAsync(snapshot, key, null, cancellationToken).ConfigureAwait(false);
        if (TryOpen(final) is null && !Directory.Exists(final))
        {
            var built = await BuildAtAsync(snapshot, key, pins, cancellationToken).ConfigureAwait(false);
            if (pins.Matches(built)) return built;
        }
        return await BuildAtAsync(snapshot, key + "-r" + pins.Key, pins, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RepoBuild> BuildAtAsync(RepoFiles snapshot, string key, PinnedRestore? pins, CancellationToken cancellationToken)
    {
        var builds = HubDirectories.Builds(hubDirectory);
        var final = Path.Combine(builds, key);
        if (TryOpen(final) is { } cached) return cached;

        using var gate = await FileLock.AcquireAsync(HubLocks.Build(hubDirectory, key), $"building {snapshot.DisplayName}", BuildTimeout + TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (TryOpen(final) is { } builtMeanwhile) return builtMeanwhile;
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true); // no build.json: not a finished build

        if (options.DisableBuilds)
            throw new HubException($"{snapshot.DisplayName} ({snapshot.Version}) is not built, and builds are off (HUBHOST_NO_BUILD is set, or HubOptions.DisableBuilds), so this host never runs dotnet build. " +
                                   "Load a prebuilt package (hubhost pack, then nuget:Id), or turn builds on, on a machine with the .NET SDK.");
        Interlocked.Increment(ref _buildsStarted);
        await ContractPackages.EnsureFeedAsync(hubDirectory, cancellationToken).ConfigureAwait(false);
        var temp = TempFolders.For(builds, key);
        try
        {
            var watch = Stopwatch.StartNew();
            var src = Path.Combine(temp, "src");
            CopyRepo(snapshot.Directory, src);
            WriteImportStoppers(temp);
            var shippedLock = File.Exists(Path.Combine(src, BuildPackages.NuGetLockFile));
            if (pins is not null) File.WriteAllText(Path.Combine(src, BuildPackages.NuGetLockFile), ContractPackages.WithHostContractHashes(hubDirectory, pins.NuGetLock));
            var output = Path.Combine(temp, "out");
            logger.LogInformation("Building {Repo} ({Version}){Locked}", snapshot.DisplayName, snapshot.Version, pins is null ? "" : " with its locked packages");
            await RunDotnetBuildAsync(snapshot, src, output, pins is not null, cancellationToken).ConfigureAwait(false);
            var assembly = FindMainAssembly(output, src, snapshot);
            foreach (var scratch in new[] { "bin", "obj" })
                if (Directory.Exists(Path.Combine(src, scratch))) Directory.Delete(Path.Combine(src, scratch), recursive: true);
            // NuGet's record of this restore (versions and content hashes): kept beside build.json for locks; the repo's own
            // folder keeps only a lock file it shipped itself.
            var nugetLock = Path.Combine(src, BuildPackages.NuGetLockFile);
            if (File.Exists(nugetLock))
            {
                File.Copy(nugetLock, Path.Combine(temp, BuildPackages.NuGetLockFile));
                if (!shippedLock) File.Delete(nugetLock);
            }
            var record = new BuildRecord(snapshot.DisplayName, snapshot.Version, snapshot.ContentKey.ToString(), ContractPackages.Fingerprint,
                Path.GetFileName(assembly), DateTimeOffset.UtcNow, Math.Round(watch.Elapsed.TotalSeconds, 2));
            record.Write(temp);
            Directory.Move(temp, final);
            logger.LogInformation("Built {Repo} ({Version}) in {Seconds:0.0} s", snapshot.DisplayName, snapshot.Version, watch.Elapsed.TotalSeconds);
            return TryOpen(final) ?? throw new HubException($"The build of {snapshot.DisplayName} vanished from {final} right after it was written.");
        }
        finally
        {
            FileTree.TryDelete(temp, logger, "the temp build folder");
        }
    }

    /// <summary>
    /// The host's runtime identifier (linux-x64, osx-arm64, ...): repos are built for it, so a build folder holds
    /// only this platform's native files (the vision sample: 11 MB instead of 74 MB with every platform's SkiaSharp).
    /// </summary>
    private static readonly string Rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;

    /// <summary>The build folder name: the content key, the contract versions it was compiled against, and the platform.</summary>
    internal static string BuildKey(ContentKey contentKey)
    {
        var text = contentKey.ToString();
        var key = text.Length > 40 ? text[..40] : text;
        return $"{key}-c{ContractPackages.Fingerprint}-{Rid}";
    }

    private static RepoBuild? TryOpen(string folder)
    {
        var record = BuildRecord.TryRead(folder);
        if (record is null) return null;
        var assembly = Path.Combine(folder, "out", record.Assembly);
        return File.Exists(assembly) ? new RepoBuild(folder, assembly, record) : null;
    }

    private static void CopyRepo(string from, string to)
    {
        foreach (var (relative, info) in FileTree.EnumerateContent(from))
        {
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            info.CopyTo(target);
        }
    }

    private static readonly Lazy<string> SharedPackagesTargets = new(() =>
    {
        using var stream = typeof(RepoBuilder).Assembly.GetManifestResourceStream("HubHost.SharedPackages.targets")
                           ?? throw new InvalidOperationException("HubHost.SharedPackages.targets is not embedded in HubHost.dll.");
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>
    /// MSBuild import files above the repo: MSBuild looks upward for Directory.Build.props/targets and
    /// Directory.Packages.props and stops at the first; these keep a repo from inheriting anything from the
    /// folders the hub directory happens to live in (a repo's own files at its root still apply). The targets file is
    /// not empty: it makes the shared packages compile-only (Building/SharedPackages.targets).
    /// </summary>
    private static void WriteImportStoppers(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(folder, "Directory.Build.targets"), SharedPackagesTargets.Value);
        File.WriteAllText(Path.Combine(folder, "Directory.Packages.props"), "<Project />\n");
    }

    private async Task RunDotnetBuildAsync(RepoFiles snapshot, string src, string output, bool lockedRestore, CancellationToken cancellationToken)
    {
        string[] args =
        [
            "build", Path.Combine(src, HubRepoLayout.ProjectFileName),
            "-c", "Release", "-o", output, "-r", Rid, "--self-contained", "false",
            "-nologo", "-v:quiet", "-clp:NoSummary",
            // No build servers: a library must not leave MSBuild nodes or a compiler server running, and here
            // they gave no measurable speed-up for a one-project build.
            "-nodeReuse:false", "-p:UseSharedCompilation=false",
            "-p:EnableDynamicLoading=true", "-p:CopyLocalLockFileAssemblies=true", "-p:GenerateDocumentationFile=true",
            "-p:NoWarn=CS1591", // a missing doc comment is not the hub's business
            // The staged folder's path (it names the hub directory and a temp name) out of the pdb and the dll, as a CI
            // build does: the same content builds to the same bytes in any hub, so a package packed again is the same.
            $"-p:PathMap={src}=/_/",
            $"-p:RestoreAdditionalProjectSources={HubDirectories.ContractFeed(hubDirectory)}",
            $"-p:RestorePackagesPath={HubDirectories.PluginPackages(hubDirectory)}",
            $"-p:HubHostTorchSharpVersion={ContractPackages.PackageVersion(typeof(TorchSharp.torch).Assembly)}",
            // NuGet writes packages.lock.json (every package's version and content hash): what a hub lock records, and what a
            // locked build restores exactly (RestoreLockedMode).
            "-p:RestorePackagesWithLockFile=true",
        ];
        if (lockedRestore) args = [.. args, "-p:RestoreLockedMode=true"];
        if (ContractPackages.UserPackagesFolder() is { } userPackages)
            args = [.. args, $"-p:RestoreAdditionalProjectFallbackFolders={userPackages}"];
        var environment = BuildEnvironment();
        ProcessResult result;
        try
        {
            result = await ChildProcess.RunAsync(DotnetHost.Path, args, src, environment, BuildTimeout, cancellationToken, time).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new HubException($"Building {snapshot.DisplayName} did not finish within {BuildTimeout.TotalMinutes:0} minutes and was stopped.", e);
        }
        if (result.ExitCode == 0) return;
        var errors = ErrorLines(result.CombinedOutput, src);
        if (lockedRestore && LockedRestoreError().Match(result.CombinedOutput) is { Success: true } refused)
            throw new LockedRestoreException($"{snapshot.DisplayName} ({snapshot.Version}) cannot restore the packages its lock records: {ProjectSuffix().Replace(refused.Value.Trim(), "")}");
        throw new HubException($"Building {snapshot.DisplayName} ({snapshot.Version}) failed:\n{errors}\nFix the repo and load it again.");
    }

    /// <summary>
    /// The environment of a plugin build: the parent's, minus MSBuild state inherited from a host that itself runs
    /// under MSBuild or dotnet test, and minus secrets (<see cref="IsSecret"/>): a build runs the repo's MSBuild code,
    /// which must not get the hub's GITHUB_TOKEN or anything else the process was given to authenticate with.
    /// </summary>
    internal static Dictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>())
        {
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || IsSecret(key))
                environment[key] = null;
        }
        environment["MSBUILDDISABLENODEREUSE"] = "1";
        environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        return environment;
    }

    /// <summary>Name parts that mark a variable as a credential (GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY, DB_PASSWORD, OPENAI_API_KEY...).</summary>
    private static readonly string[] SecretMarkers = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "APIKEY", "API_KEY", "ACCESS_KEY", "PRIVATE_KEY"];

    /// <summary>
    /// Whether a variable is withheld from builds: a credential by name (see <see cref="SecretMarkers"/>), the ssh
    /// agent and askpass helpers (they authenticate as the user), and git configuration passed through the
    /// environment (it can carry an http.extraHeader with a token). NuGet's own variables (NUGET_*,
    /// NuGetPackageSourceCredentials_*, VSS_NUGET_*) stay: restore runs inside the same build and needs them for
    /// private feeds, so a repo's code can read them too (give the hub read-only feed tokens).
    /// </summary>
    internal static bool IsSecret(string name)
    {
        if (name.StartsWith("NUGET", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSS_NUGET_", StringComparison.OrdinalIgnoreCase))
            return false;
        if (name is "SSH_AUTH_SOCK" or "GIT_ASKPASS" or "SSH_ASKPASS" or "GIT_CONFIG_PARAMETERS" or "GIT_CONFIG_COUNT"
            || name.StartsWith("GIT_CONFIG_KEY_", StringComparison.Ordinal) || name.StartsWith("GIT_CONFIG_VALUE_", StringComparison.Ordinal))
            return true;
        var upper = name.ToUpperInvariant();
        return SecretMarkers.Any(m => upper.Contains(m, StringComparison.Ordinal));
    }

    /// <summary>The compiler's and NuGet's error lines (e.g. CS1002, NU1101), with paths relative to the repo and MSBuild noise removed.</summary>
    internal static string ErrorLines(string output, string src)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = lines.Where(l => ErrorCode().IsMatch(l))
            .Select(l => ProjectSuffix().Replace(l, ""))
            .Select(l => l.Replace(src + Path.DirectorySeparatorChar, "", StringComparison.Ordinal).Replace(src, ".", StringComparison.Ordinal))
            .Distinct()
            .Take(20)
            .ToList();
        if (errors.Count == 0) errors = lines.TakeLast(15).ToList();
        return string.Join("\n", errors.Select(e => "  " + e));
    }

    [GeneratedRegex(@"\berror [A-Z]{2,}\d+\s*:")]
    private static partial Regex ErrorCode();

    /// <summary>NuGet's locked-mode refusals: inconsistent lock file (NU1004), changed package content (NU1403), missing version (NU1101/NU1102).</summary>
    [GeneratedRegex(@"error NU(1004|1403|1101|1102)\s*:[^\r\n]*")]
    private static partial Regex LockedRestoreError();

    [GeneratedRegex(@"\s*\[[^\]]+\.csproj(::[^\]]*)?\]$")]
    private static partial Regex ProjectSuffix();

    /// <summary>The hubconf project's assembly: its AssemblyName when it declares one, else the project name.</summary>
    private static string FindMainAssembly(string output, string src, RepoFiles snapshot)
    {
        var name = Path.GetFileNameWithoutExtension(HubRepoLayout.ProjectFileName);
        try
        {
            var declared = System.Xml.Linq.XDocument.Load(Path.Combine(src, HubRepoLayout.ProjectFileName))
                .Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value.Trim();
            if (!string.IsNullOrEmpty(declared) && !declared.Contains("$(")) name = declared;
        }
        catch (System.Xml.XmlException)
        {
            // dotnet build already accepted the project; fall back to the default name.
        }
        var dll = Path.Combine(output, name + ".dll");
        if (!File.Exists(dll) || !File.Exists(Path.Combine(output, name + ".deps.json")))
            throw new HubException($"The build of {snapshot.DisplayName} produced no {name}.dll with its {name}.deps.json; {HubRepoLayout.ProjectFileName} must build a class library.");
        return dll;
    }
}
