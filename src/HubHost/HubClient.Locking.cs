using System.Globalization;
using System.Runtime.InteropServices;
using HubHost.Building;
using HubHost.Downloads;
using HubHost.Locking;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Writes a lock (<c>hubhost lock</c>): resolves and builds <paramref name="repo"/> as a load would, calls
    /// <paramref name="entrypoint"/> with <paramref name="arguments"/> (and every call the existing lock recorded for that repo),
    /// and records what was used: the source's commit (or package version and SHA-512, or folder content), the contract versions
    /// it was built against, the NuGet packages its build restored with their SHA-512 (and NuGet's own packages.lock.json), and every
    /// weights file the calls fetched through the repo's services with its full SHA-256 and size. Save the result with
    /// <see cref="HubLock.Save"/>; load with it through <see cref="HubLoadOptions.Lock"/>.
    /// </summary>
    /// <param name="repo">The repo, as loads will name it (<c>owner/name:ref</c>, <c>./folder</c>, <c>nuget:Id@range</c>); null with
    /// <see cref="HubLockOptions.Existing"/> to lock every repo of that lock again.</param>
    /// <param name="entrypoint">An entrypoint to call and record (its weights are locked); null to record the repo alone.</param>
    /// <param name="arguments">Its named arguments (<c>new { pretrained = true }</c>, a dictionary); recorded as text, so strings, numbers, bools and enums.</param>
    /// <param name="options">The lock to add to or update, whether to fetch refs again, trust.</param>
    /// <param name="cancellationToken">Cancels fetches, builds and downloads.</param>
    /// <returns>The new lock: <see cref="HubLockOptions.Existing"/>'s other repos unchanged, this one (or all) recorded anew.</returns>
    /// <exception cref="HubException">The repo does not load, a call fails, or an argument cannot be recorded; the message says why.</exception>
    public async Task<HubLock> LockAsync(string? repo, string? entrypoint = null, object? arguments = null, HubLockOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new HubLockOptions();
        var existing = options.Existing;
        var repos = existing?.Repos.ToList() ?? [];
        // Each repo as the lock names it, where to load it from (a local folder by its full path: the lock may be updated from
        // another folder than it was written in), and the calls to record.
        var targets = new List<(string Repo, string Load, List<LockedCall> Calls)>();
        if (repo is null)
        {
            if (entrypoint is not null) throw new HubException($"The entrypoint {entrypoint} needs its repo: hubhost lock REPO {entrypoint} -o FILE.");
            if (existing is null || existing.Repos.Count == 0)
                throw new HubException($"Nothing to lock: give a repo (hubhost lock REPO [ENTRY --arg k=v] -o {HubLock.DefaultFileName}), or an existing lock file to update.");
            targets.AddRange(existing.Repos.Select(r => (r.Repo, r.Source.Kind == "local" ? r.Source.Path! : r.Repo, r.Calls.ToList())));
            repos.Clear();
        }
        else
        {
            var previous = existing?.Find(repo);
            if (previous is not null) repos.Remove(previous);
            var calls = previous?.Calls.ToList() ?? [];
            if (entrypoint is not null)
            {
                var call = new LockedCall(entrypoint, ArgumentsAsText(arguments)) { Weights = options.Weights };
                if (!calls.Any(c => c.ToString() == call.ToString())) calls.Add(call);
            }
            else if (options.Weights is not null)
            {
                throw new HubException("Weights are loaded into what an entrypoint returns: give the entrypoint too (hubhost lock REPO ENTRY --weights URL).");
            }
            targets.Add((previous?.Repo ?? repo.Trim(), repo.Trim(), calls));
        }
        var load = new HubLoadOptions { ForceReload = options.Update, TrustRepo = options.TrustRepo, SkipValidation = options.SkipValidation };
        foreach (var (name, loadFrom, calls) in targets)
            repos.Add(await LockRepoAsync(name, loadFrom, calls, load, cancellationToken).ConfigureAwait(false));
        return new HubLock(LockHost(), repos, existing?.FilePath);
    }

    private async Task<LockedRepo> LockRepoAsync(string repo, string loadFrom, List<LockedCall> calls, HubLoadOptions load, CancellationToken cancellationToken)
    {
        using var resolved = await Pipeline.ResolveAsync(Pipeline.Parse(loadFrom), load, cancellationToken).ConfigureAwait(false);
        var opened = await Pipeline.LoadAsync(resolved, cancellationToken).ConfigureAwait(false);
        var lockedSource = resolved.Source.DescribeLocked(resolved.Snapshot, Pipeline.SourceContext());
        var build = opened.Build;
        var packages = BuildPackages.Read(build)
                       ?? throw new HubException($"The build of {repo} in {build.Directory} was made by an earlier hubhost and does not record its packages. " +
                                                 $"Remove it (`hubhost cache rm {repo}`) and lock again.");
        var recorder = new WeightsRecorder();
        using (WeightsRecorder.Begin(recorder))
        {
            foreach (var call in calls)
            {
                var result = await opened.InvokeAsync(call.Entrypoint, call.Arguments, cancellationToken).ConfigureAwait(false);
                try
                {
                    if (call.Weights is { } weights)
                    {
                        foreach (var tensor in (await LoadStateDictAsync(weights, opened, null, cancellationToken).ConfigureAwait(false)).Values) tensor.Dispose();
                    }
                }
                finally
                {
                    (result as IDisposable)?.Dispose(); // a model made only to see what it fetches
                }
            }
        }
        return new LockedRepo(repo, lockedSource, packages.Contracts, packages.Packages.Select(p => new LockedPackage(p.Id, p.Version, p.Sha512)).ToList(),
            calls, recorder.Weights) { NuGetLock = packages.NuGetLock };
    }

    /// <summary>This host, as a lock records it.</summary>
    private static LockedHost LockHost()
        => new(ContractPackages.PackageVersion(typeof(HubClient).Assembly), ContractPackages.PackageVersion(typeof(Contract.IHubServices).Assembly),
            ContractPackages.PackageVersion(typeof(TorchSharp.torch).Assembly), RuntimeInformation.RuntimeIdentifier);

    /// <summary>Named arguments as the text a lock records (and <c>--arg name=value</c> gives).</summary>
    private static SortedDictionary<string, string> ArgumentsAsText(object? arguments)
    {
        var given = HubArguments.From(arguments);
        if (given.Positional.Count > 0)
            throw new HubException("A lock records named arguments only (it calls the entrypoint again when updated): pass them by name, such as new { pretrained = true }.");
        var text = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in given.Named)
        {
            text[name] = value switch
            {
                string s => s,
                bool b => b ? "true" : "false",
                Enum e => e.ToString(),
                IFormattable f when value.GetType().IsPrimitive || value is decimal => f.ToString(null, CultureInfo.InvariantCulture),
                _ => throw new HubException($"The argument '{name}' is {(value is null ? "null" : "a " + value.GetType().Name)}, which a lock cannot record as text: pass a string, number, bool or enum."),
            };
        }
        return text;
    }
}

/// <summary>How <see cref="HubClient.LockAsync"/> writes a lock.</summary>
public sealed record HubLockOptions
{
    /// <summary>The lock to add the repo to (its entry for that repo is written anew, keeping its calls; other repos stay as they are); null: a new lock.</summary>
    public HubLock? Existing { get; init; }

    /// <summary>Resolve refs and versions again (fetch; <c>hubhost lock --update</c>) instead of taking what the cache recorded, as <c>--force-reload</c> does.</summary>
    public bool Update { get; init; }

    /// <summary>Weights the app loads into the entrypoint's result itself (<c>hubhost run --weights URL</c>): fetched and recorded with the call.</summary>
    public string? Weights { get; init; }

    /// <summary>Whether a git repo may be built (as <see cref="HubLoadOptions.TrustRepo"/>).</summary>
    public TrustRepo TrustRepo { get; init; } = TrustRepo.Check;

    /// <summary>Accept a commit no branch or tag reaches (as <see cref="HubLoadOptions.SkipValidation"/>).</summary>
    public bool SkipValidation { get; init; }
}
