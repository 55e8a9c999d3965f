using System.Formats.Tar;
using HubHost.Storage;
using HubHost.Processes;
using Microsoft.Extensions.Logging;

namespace HubHost.Sources.Git;

/// <summary>
/// The commit-pinned git cache under <c>&lt;hub&gt;/git</c>:
/// <list type="bullet">
/// <item><c>mirrors/&lt;name&gt;-&lt;urlhash&gt;</c>: one bare repo per URL holding the objects of all its branches and tags;</item>
/// <item><c>refs/&lt;mirror&gt;/&lt;ref&gt;.json</c>: what each ref resolved to (<see cref="GitRefRecord"/>);</item>
/// <item><c>checkouts/&lt;commit&gt;</c>: the files of one commit, which the builder builds from.</item>
/// </list>
/// Everything is made in a <c>.tmp-</c> folder and renamed into place, and all changes to one mirror happen
/// under its cross-process lock, so concurrent processes clone once and a killed one leaves nothing that looks
/// complete. A ref seen before resolves from its record without touching the network.
/// </summary>
internal sealed class GitRepoCache(string hubDirectory, HubOptions options, ILogger logger, TimeProvider time)
{
    private readonly GitCli _git = new(options, logger, time);

    public string MirrorPath(GitRemote remote) => Path.Combine(HubDirectories.GitMirrors(hubDirectory), remote.MirrorName);

    public string RecordPath(GitRemote remote) => Path.Combine(HubDirectories.GitRefs(hubDirectory), remote.MirrorName, remote.RecordFileName);

    public string CheckoutPath(string commit) => Path.Combine(HubDirectories.GitCheckouts(hubDirectory), commit);

    public static string LockPath(string hubDirectory, string mirrorName) => HubLocks.GitMirror(hubDirectory, mirrorName);

    /// <summary>How long to wait for another process working on the same mirror (a clone may take a while).</summary>
    private TimeSpan LockTimeout => _git.NetworkTimeout * 4 + TimeSpan.FromMinutes(2);

    /// <summary>
    /// Resolves the remote's ref to a commit and returns it with the folder of its files, holding the commit's content lease in
    /// <paramref name="lease"/> (the caller's, who owns it): taken before the ref's record and checkout are written, under the mirror's lock, so <c>cache rm</c> and <c>cache prune</c> never remove the
    /// checkout or builds this load is about to use. A commit SHA is accepted only when a branch or tag of the
    /// repo reaches it, unless <paramref name="skipValidation"/> (see <see cref="HubLoadOptions.SkipValidation"/>).
    /// </summary>
    public async Task<(string Commit, string Checkout)> ResolveAsync(GitRemote remote, VersionLease lease, bool forceReload, bool skipValidation, CancellationToken cancellationToken, string repoFile = HubRepoLayout.ProjectFileName)
    {
        if (!forceReload && TryCached(remote, skipValidation) is { } cached && Directory.Exists(CheckoutPath(cached)))
        {
            await UseAsync(lease, cached, remote, cancellationToken).ConfigureAwait(false);
            // A removal may have taken the record and checkout between the look and the lease: check again.
            if (TryCached(remote, skipValidation) == cached && Directory.Exists(CheckoutPath(cached)))
            {
                logger.LogDebug("{Repo} resolves to {Commit} from the cache", remote.Text, cached);
                return (cached, CheckoutPath(cached));
            }
            lease.Dispose();
        }

        if (options.Offline && forceReload)
            throw new HubException($"Cannot force-reload {remote.Text}: {GitCli.OfflineNote}, and that needs the network. " +
                                   "Turn offline mode off, or load without --force-reload to use the cached version.");

        using var gate = await FileLock.AcquireAsync(LockPath(hubDirectory, remote.MirrorName), $"fetching {remote.RepoName}", LockTimeout, cancellationToken).ConfigureAwait(false);
        var mirror = MirrorPath(remote);
        var mirrorReady = IsCompleteMirror(mirror);

        if (!forceReload && TryCached(remote, skipValidation) is { } recorded && (Directory.Exists(CheckoutPath(recorded)) || (mirrorReady && await HasCommitAsync(mirror, recorded, cancellationToken).ConfigureAwait(false))))
        {
            // Another process fetched it while we waited, or only the checkout is missing: no network needed.
            await UseAsync(lease, recorded, remote, cancellationToken).ConfigureAwait(false);
            return (recorded, await EnsureCheckoutAsync(mirror, recorded, cancellationToken).ConfigureAwait(false));
        }

        // A full SHA already in the mirror, on one of its branches or tags as last fetched, needs no remote at all.
        if (!forceReload && mirrorReady && remote.Ref is { Length: 40 } sha && GitRemote.LooksLikeSha(sha) && await HasCommitAsync(mirror, sha.ToLowerInvariant(), cancellationToken).ConfigureAwait(false)
            && (skipValidation || await IsReachableAsync(mirror, sha.ToLowerInvariant(), cancellationToken).ConfigureAwait(false)))
        {
            var full = sha.ToLowerInvariant();
            await CheckHubRepoAsync(mirror, remote, full, repoFile, cancellationToken).ConfigureAwait(false);
            await UseAsync(lease, full, remote, cancellationToken).ConfigureAwait(false);
            new GitRefRecord(remote.Url, remote.RefLabel, full, DateTimeOffset.UtcNow, Validation(remote, skipValidation)).Write(RecordPath(remote));
            return (full, await EnsureCheckoutAsync(mirror, full, cancellationToken).ConfigureAwait(false));
        }

        if (options.Offline)
        {
            var what = mirrorReady ? $"{remote.RefLabel} of {remote.RepoName} has not been fetched" : $"{remote.RepoName} is not in the cache";
            throw new HubException($"{what}, and {GitCli.OfflineNote}, so it will not fetch it. " +
                                   $"Load it once with offline mode off (`hubhost list {remote.Text}` without HUBHOST_OFFLINE) to cache it.");
        }

        // Work in a temp mirror when there is none yet (or it is broken): it is published only once this ref
        // resolved to a hub repo, so a failure leaves the cache as it was. `cache prune` leaves it alone while
        // this process holds the mirror's lock (its name says which mirror it belongs to).
        string? temp = null;
        var work = mirror;
        if (!mirrorReady)
        {
            temp = TempFolders.For(HubDirectories.GitMirrors(hubDirectory), remote.MirrorName);
            await InitMirrorAsync(temp, remote, cancellationToken).ConfigureAwait(false);
            work = temp;
        }
        try
        {
            await RemoveStaleGitLocksAsync(work, cancellationToken).ConfigureAwait(false);
            var refs = await ListRemoteAsync(remote, cancellationToken).ConfigureAwait(false);
            var commit = await PickCommitAsync(work, remote, refs, forceReload, skipValidation, cancellationToken).ConfigureAwait(false);
            await CheckHubRepoAsync(work, remote, commit, repoFile, cancellationToken).ConfigureAwait(false);
            await UseAsync(lease, commit, remote, cancellationToken).ConfigureAwait(false);

            if (temp is not null)
            {
                if (Directory.Exists(mirror)) Directory.Delete(mirror, recursive: true); // broken: we hold its lock
                Directory.Move(temp, mirror);
                temp = null;
                logger.LogInformation("Cloned {Url} into the hub cache", remote.Url);
            }
            var previous = TryCached(remote);
            new GitRefRecord(remote.Url, remote.RefLabel, commit, DateTimeOffset.UtcNow, Validation(remote, skipValidation)).Write(RecordPath(remote));
            if (previous is not null && previous != commit)
                logger.LogInformation("{Repo} moved from {Old} to {New}", remote.Text, previous[..12], commit[..12]);
            return (commit, await EnsureCheckoutAsync(mirror, commit, cancellationToken).ConfigureAwait(false));

        }
        finally
        {
            if (temp is not null) FileTree.TryDelete(temp, logger, "the temp folder");
        }
    }

    /// <summary>
    /// Resolves a commit a lock pins (the ref it was locked from may have moved since): from the cache with no git process at all
    /// when its files are there and one of this repo's ref records names it (so it was reached from a branch or tag), else as
    /// <c>REPO:&lt;sha&gt;</c> (from the mirror when it has the commit on a branch or tag, offline too; else fetched). The ref's
    /// own record is left as it is.
    /// </summary>
    public async Task<(string Commit, string Checkout)> ResolveCommitAsync(GitRemote remote, VersionLease lease, string commit, bool skipValidation, CancellationToken cancellationToken, string repoFile = HubRepoLayout.ProjectFileName)
    {
        if (Directory.Exists(CheckoutPath(commit)) && (skipValidation || RecordsName(remote, commit)))
        {
            await UseAsync(lease, commit, remote, cancellationToken).ConfigureAwait(false);
            if (Directory.Exists(CheckoutPath(commit))) return (commit, CheckoutPath(commit));
            lease.Dispose();
        }
        return await ResolveAsync(remote.AtCommit(commit), lease, forceReload: false, skipValidation, cancellationToken, repoFile).ConfigureAwait(false);
    }

    /// <summary>Whether a ref record of this repo names <paramref name="commit"/> (a branch or tag resolved to it, or a SHA seen reachable).</summary>
    private bool RecordsName(GitRemote remote, string commit)
    {
        var folder = Path.Combine(HubDirectories.GitRefs(hubDirectory), remote.MirrorName);
        return Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.json")
            .Select(GitRefRecord.TryRead).Any(r => r is not null && r.Commit == commit && r.Validation != GitRefRecord.Skipped);
    }

    /// <summary>Holds the commit's content lease (for the load that resolves it) before its record or checkout is written.</summary>
    private static Task UseAsync(VersionLease lease, string commit, GitRemote remote, CancellationToken cancellationToken)
        => lease.HoldAsync(ContentKey.Git(commit), $"{remote.RepoName} at {commit[..12]}", cancellationToken);

    /// <summary>The commit recorded for this ref, or null.</summary>
    public string? TryCached(GitRemote remote) => GitRefRecord.TryRead(RecordPath(remote))?.Commit;

    /// <summary>
    /// The commit recorded for this ref if this load may use it: a SHA's record only when a branch or tag was seen to
    /// reach it (not one left by a SkipValidation load or by a version that did not check), unless this load skips validation too.
    /// </summary>
    private string? TryCached(GitRemote remote, bool skipValidation)
        => GitRefRecord.TryRead(RecordPath(remote)) is { } record && (skipValidation || !IsShaRef(remote) || record.Validation == GitRefRecord.Reachable)
            ? record.Commit
            : null;

    private static bool IsShaRef(GitRemote remote) => remote.Ref is { } r && GitRemote.LooksLikeSha(r);

    private static string? Validation(GitRemote remote, bool skipValidation)
        => !IsShaRef(remote) ? null : skipValidation ? GitRefRecord.Skipped : GitRefRecord.Reachable;

    /// <summary>A mirror is complete when it was published (renamed from its temp folder) and git recognises it.</summary>
    private static bool IsCompleteMirror(string mirror)
        => File.Exists(Path.Combine(mirror, GitMirrorInfo.FileName)) && File.Exists(Path.Combine(mirror, "HEAD")) && Directory.Exists(Path.Combine(mirror, "objects"));

    private async Task InitMirrorAsync(string folder, GitRemote remote, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var result = await _git.LocalAsync(null, ["init", "--bare", "--quiet", folder], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0) throw new HubException($"Could not create a git mirror in {folder}: {GitCli.Explain(result)}.");
        new GitMirrorInfo(remote.Url, remote.RepoName, DateTimeOffset.UtcNow).Write(folder);
    }

    /// <summary>
    /// A killed git leaves <c>*.lock</c> files that make every later fetch fail. We hold the mirror's lock, so no
    /// other hub works in it; a git orphaned by a hub killed just now may still run for up to
    /// <see cref="ChildProcess.OrphanBound"/> (its watchdog then kills it), so a lock file younger than that is
    /// waited out before it is taken for stale.
    /// </summary>
    private async Task RemoveStaleGitLocksAsync(string mirror, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(mirror)) return;
        var locks = Directory.EnumerateFiles(mirror, "*.lock", SearchOption.AllDirectories).ToList();
        if (locks.Count == 0) return;
        var youngest = locks.Select(File.GetLastWriteTimeUtc).Max();
        var wait = youngest + ChildProcess.OrphanBound - time.GetUtcNow().UtcDateTime;
        if (wait > TimeSpan.Zero)
        {
            logger.LogInformation("Waiting {Seconds:0.0} s for a git process of a killed run to be stopped", wait.TotalSeconds);
            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
        }
        foreach (var file in locks.Where(File.Exists))
        {
            logger.LogWarning("Removing {File} left by a git process that did not finish", file);
            File.Delete(file);
        }
    }

    /// <summary>The remote's HEAD, branches and tags (tags peeled to commits), as git ls-remote reports them.</summary>
    private async Task<RemoteRefs> ListRemoteAsync(GitRemote remote, CancellationToken cancellationToken)
    {
        var result = await _git.NetworkAsync(null, remote.Url, ["ls-remote", "--symref", remote.Url, "HEAD", "refs/heads/*", "refs/tags/*"],
            $"reach {remote.Url}", cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new HubException($"Could not reach the git repo {remote.Url}: {GitCli.Explain(result)}. " +
                                   (_git.SendsTokenTo(remote.Url) ? "GITHUB_TOKEN was sent; check that it grants access to this repo." :
                                       "Check the name and your network; for a private repo set GITHUB_TOKEN (sent to github.com and the HUBHOST_GIT_BASE_URL host only) or configure a git credential helper."));
        return RemoteRefs.Parse(result.StandardOutput);
    }

    private async Task<string> PickCommitAsync(string mirror, GitRemote remote, RemoteRefs refs, bool forceReload, bool skipValidation, CancellationToken cancellationToken)
    {
        string? commit;
        if (remote.Ref is null)
        {
            commit = refs.Head ?? throw new HubException($"{remote.Url} has no default branch (its HEAD points nowhere). Name a ref: {remote.RepoName}:BRANCH. {refs.Sample()}");
        }
        else
        {
            commit = refs.Find(remote.Ref);
        }

        if (commit is not null)
        {
            if (!await HasCommitAsync(mirror, commit, cancellationToken).ConfigureAwait(false)) await FetchAsync(mirror, remote, cancellationToken).ConfigureAwait(false);
            if (!await HasCommitAsync(mirror, commit, cancellationToken).ConfigureAwait(false))
                throw new HubException($"{remote.Url} lists {remote.RefLabel} at {commit[..12]}, but fetching did not bring that commit. Try again.");
            return commit;
        }

        var reference = remote.Ref!;
        if (GitRemote.LooksLikeSha(reference))
        {
            var found = await RevParseAsync(mirror, reference, cancellationToken).ConfigureAwait(false);
            if (found is null || (!skipValidation && !await IsReachableAsync(mirror, found, cancellationToken).ConfigureAwait(false)))
            {
                // Fetching every branch and tag brings every commit they reach, and updates the refs reachability is judged by.
                await FetchAsync(mirror, remote, cancellationToken).ConfigureAwait(false);
                found = await RevParseAsync(mirror, reference, cancellationToken).ConfigureAwait(false);
            }
            if (found is null && reference.Length == 40 && skipValidation)
            {
                // A commit no branch or tag reaches: servers that allow it (GitHub, for a whole fork network) serve it by id.
                await _git.NetworkAsync(mirror, remote.Url, ["fetch", "--quiet", "--no-tags", remote.Url, reference.ToLowerInvariant()], $"fetch {remote.Url}", cancellationToken).ConfigureAwait(false);
                found = await RevParseAsync(mirror, reference, cancellationToken).ConfigureAwait(false);
            }
            if (found is not null)
            {
                if (!skipValidation && !await IsReachableAsync(mirror, found, cancellationToken).ConfigureAwait(false))
                    throw NotOnABranchOrTag(remote, found, "");
                return found;
            }
            if (reference.Length == 40 && !skipValidation)
                throw NotOnABranchOrTag(remote, reference.ToLowerInvariant(), " (if it exists at all)");
        }

        var deleted = forceReload && TryCached(remote) is { } old
            ? $" It was at {old[..12]} when last fetched, so it was probably deleted upstream; that version stays in the cache (load without --force-reload to use it)."
            : "";
        var fork = GitRemote.LooksLikeSha(reference)
            ? $" If '{reference}' is a commit from a fork (hosts such as GitHub serve a fork network's commits through the parent's URL, " +
              $"but only by their full SHA), load the fork itself (FORK-OWNER/NAME:{reference}), trusting it separately; if you have checked the " +
              "commit, give its full 40-digit SHA with --skip-validation (HubLoadOptions.SkipValidation = true)."
            : "";
        throw new HubException($"{remote.Url} has no branch, tag or commit '{reference}'.{deleted}{fork} {refs.Sample()}");
    }

    /// <summary>
    /// Refuses a commit no branch or tag reaches: through a repo's URL GitHub serves every commit of its whole fork
    /// network, so such a SHA may be a stranger's fork commit, which trust in this repo does not cover (torch.hub's check).
    /// </summary>
    private static HubException NotOnABranchOrTag(GitRemote remote, string commit, string qualifier)
        => new($"Refusing commit {commit[..12]}: no branch or tag of {remote.RepoName} contains the commit {commit[..12]}{qualifier}. " +
               $"Hosts such as GitHub serve every commit of a repo's fork network through its URL, so it may be a commit from someone else's fork, " +
               $"which trusting {remote.RepoName} does not cover. If it comes from a fork, load the fork itself (FORK-OWNER/NAME:{commit[..12]}, " +
               "trusting it separately); if you have checked the commit, pass --skip-validation (HubLoadOptions.SkipValidation = true).");

    /// <summary>Whether one of the mirror's branches or tags (as last fetched) reaches the commit.</summary>
    private async Task<bool> IsReachableAsync(string mirror, string commit, CancellationToken cancellationToken)
    {
        var result = await _git.LocalAsync(mirror, ["for-each-ref", "--count=1", "--format=%(refname)", "--contains", commit, "refs/heads/", "refs/tags/"], cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0 && result.StandardOutput.Trim().Length > 0;
    }

    private async Task FetchAsync(string mirror, GitRemote remote, CancellationToken cancellationToken)
    {
        logger.LogInformation("Fetching {Url}", remote.Url);
        var result = await _git.NetworkAsync(mirror, remote.Url,
            ["fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head", remote.Url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
            $"fetch {remote.Url}", cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new HubException($"Fetching {remote.Url} failed: {GitCli.Explain(result)}. Check the URL and your network, and try again.");
    }

    private async Task<bool> HasCommitAsync(string mirror, string commit, CancellationToken cancellationToken)
        => (await _git.LocalAsync(mirror, ["cat-file", "-e", commit + "^{commit}"], cancellationToken).ConfigureAwait(false)).ExitCode == 0;

    private async Task<string?> RevParseAsync(string mirror, string reference, CancellationToken cancellationToken)
    {
        var result = await _git.LocalAsync(mirror, ["rev-parse", "--verify", "--quiet", "--end-of-options", reference.ToLowerInvariant() + "^{commit}"], cancellationToken).ConfigureAwait(false);
        var sha = result.StandardOutput.Trim();
        if (result.ExitCode == 0 && sha.Length == 40) return sha;
        if (result.StandardError.Contains("ambiguous", StringComparison.OrdinalIgnoreCase))
            throw new HubException($"The abbreviated commit '{reference}' is ambiguous; give more of its hex digits.");
        return null;
    }

    private async Task CheckHubRepoAsync(string mirror, GitRemote remote, string commit, string repoFile, CancellationToken cancellationToken)
    {
        var result = await _git.LocalAsync(mirror, ["cat-file", "-e", $"{commit}:{repoFile}"], cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0 && repoFile == HubRepoLayout.PythonHubconf)
            throw new HubException(HubRepoLayout.NotAPythonRepo($"{remote.Text} ({commit[..12]})"));
        if (result.ExitCode != 0)
            throw new HubException($"{remote.Text} ({commit[..12]}) is not a hub repo: it has no {HubRepoLayout.ProjectFileName} at its root. " +
                                   $"A hub repo has {HubRepoLayout.ProjectFileName} and a public static class {HubRepoLayout.ClassName} at the top of the ref you load.");
    }

    /// <summary>
    /// Extracts <c>git archive</c>'s tar of a commit into <paramref name="folder"/>. A symbolic link that points outside
    /// the repo (<c>README.md -&gt; /etc/passwd</c>) is not made (a warning names it): nothing of the checkout may lead
    /// out of it, whatever later reads it (a build, <c>hubhost serve</c>). Links inside the repo are kept.
    /// </summary>
    private async Task ExtractAsync(string tar, string folder, string commit, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(tar);
        await using var reader = new TarReader(stream);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes) continue; // git's pax header (the commit id)
            var target = Path.GetFullPath(Path.Combine(folder, entry.Name));
            if (!FileNames.IsInside(folder, target) || target == Path.GetFullPath(folder))
                throw new HubException($"The commit {commit[..12]} has an entry that leads out of its folder ({entry.Name}); refusing it.");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case TarEntryType.SymbolicLink:
                    var pointsTo = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, entry.LinkName));
                    if (Path.IsPathRooted(entry.LinkName) || !pointsTo.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    {
                        logger.LogWarning("{Entry} in commit {Commit} is a symbolic link to {Target}, outside the repo: it is left out", entry.Name, commit[..12], entry.LinkName);
                        break;
                    }
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.CreateSymbolicLink(target, entry.LinkName);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    await entry.ExtractToFileAsync(target, overwrite: false, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    logger.LogWarning("{Entry} in commit {Commit} is a {Type}, not a file, folder or link: it is left out", entry.Name, commit[..12], entry.EntryType);
                    break;
            }
        }
    }

    /// <summary>The files of a commit in <c>checkouts/&lt;commit&gt;</c>, extracted once (temp folder, then rename) and never changed.</summary>
    private async Task<string> EnsureCheckoutAsync(string mirror, string commit, CancellationToken cancellationToken)
    {
        var final = CheckoutPath(commit);
        if (Directory.Exists(final)) return final;
        var root = HubDirectories.GitCheckouts(hubDirectory);
        Directory.CreateDirectory(root);
        var temp = TempFolders.For(root, commit);
        var tar = temp + ".tar";
        try
        {
            var result = await _git.LocalAsync(mirror, ["archive", "--format=tar", "-o", tar, commit], cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0) throw new HubException($"Could not extract commit {commit[..12]} from {mirror}: {GitCli.Explain(result)}. Remove the cached repo (`hubhost cache rm`) and load it again.");
            Directory.CreateDirectory(temp);
            await ExtractAsync(tar, temp, commit, cancellationToken).ConfigureAwait(false);
            try
            {
                Directory.Move(temp, final);
            }
            catch (IOException) when (Directory.Exists(final))
            {
                // Another mirror with the same commit (a fork) got there first; its files are the same.
            }
            return final;
        }
        finally
        {
            FileTree.TryDelete(tar, logger, "the temp archive");
            FileTree.TryDelete(temp, logger, "the temp folder");
        }
    }
}

/// <summary>What <c>git ls-remote --symref URL HEAD refs/heads/* refs/tags/*</c> printed.</summary>
internal sealed class RemoteRefs
{
    private readonly Dictionary<string, string> _refs = new(StringComparer.Ordinal);

    /// <summary>The commit of the remote's HEAD (its default branch).</summary>
    public string? Head { get; private set; }

    public static RemoteRefs Parse(string output)
    {
        var refs = new RemoteRefs();
        var peeled = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("ref:", StringComparison.Ordinal)) continue;
            var tab = line.IndexOf('\t');
            if (tab != 40) continue;
            var sha = line[..40].ToLowerInvariant();
            var name = line[(tab + 1)..];
            if (name == "HEAD") refs.Head = sha;
            else if (name.EndsWith("^{}", StringComparison.Ordinal)) peeled[name[..^3]] = sha;
            else refs._refs[name] = sha;
        }
        foreach (var (name, sha) in peeled) refs._refs[name] = sha; // an annotated tag names its commit, not the tag object
        return refs;
    }

    /// <summary>The commit of a branch or tag name (branch first, as git does), or null.</summary>
    public string? Find(string reference)
    {
        if (reference.StartsWith("refs/", StringComparison.Ordinal) && _refs.TryGetValue(reference, out var exact)) return exact;
        if (_refs.TryGetValue("refs/heads/" + reference, out var branch)) return branch;
        return _refs.TryGetValue("refs/tags/" + reference, out var tag) ? tag : null;
    }

    public IEnumerable<string> Branches => _refs.Keys.Where(k => k.StartsWith("refs/heads/", StringComparison.Ordinal)).Select(k => k[11..]).Order(StringComparer.Ordinal);

    public IEnumerable<string> Tags => _refs.Keys.Where(k => k.StartsWith("refs/tags/", StringComparison.Ordinal)).Select(k => k[10..]).Order(StringComparer.Ordinal);

    /// <summary>A few branches and tags, for an error message.</summary>
    public string Sample()
    {
        var branches = Branches.Take(8).ToList();
        var tags = Tags.Reverse().Take(8).ToList();
        var moreBranches = Branches.Count() - branches.Count;
        var moreTags = Tags.Count() - tags.Count;
        return $"Branches: {(branches.Count == 0 ? "none" : string.Join(", ", branches))}{(moreBranches > 0 ? $" and {moreBranches} more" : "")}; " +
               $"tags: {(tags.Count == 0 ? "none" : string.Join(", ", tags))}{(moreTags > 0 ? $" and {moreTags} more" : "")}.";
    }
}
