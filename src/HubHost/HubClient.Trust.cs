namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>The trusted list's file (torch.hub's <c>trusted_list</c> in the hub directory).</summary>
    public string TrustedListFile => TrustedList.FilePath;

    /// <summary>
    /// The repos and packages trusted to be built or loaded without asking (<c>hubhost trust ls</c>), in file
    /// order: <c>owner/name</c> for GitHub repos, the normalised URL for other git repos, <c>nuget:Id</c> for packages,
    /// <c>owner/*</c> for owners (not <see cref="HubOptions.TrustedOwners"/>, which the options hold).
    /// </summary>
    public IReadOnlyList<string> ListTrusted() => TrustedList.Entries();

    /// <summary>
    /// Adds a git repo or package to the trusted list (<c>hubhost trust add</c>); a ref or version in
    /// <paramref name="repo"/> is ignored, trust is per repo. <c>owner/*</c> (or a URL ending in <c>/*</c>) trusts every
    /// repo of that owner on that host. Returns false when it was trusted already. Nothing is fetched: the repo need not
    /// exist yet.
    /// </summary>
    /// <exception cref="HubException"><paramref name="repo"/> is a local folder (always trusted) or malformed.</exception>
    public Task<bool> TrustAsync(string repo, CancellationToken cancellationToken = default)
    {
        var key = TrustKeyOf(repo);
        EnsureWritableHubDirectory();
        return TrustedList.AddAsync(key, cancellationToken);
    }

    /// <summary>Removes a git repo or package from the trusted list (<c>hubhost trust rm</c>). Returns false when it was not there.</summary>
    /// <exception cref="HubException"><paramref name="repo"/> is a local folder (always trusted) or malformed.</exception>
    public Task<bool> UntrustAsync(string repo, CancellationToken cancellationToken = default)
    {
        var key = TrustKeyOf(repo);
        EnsureWritableHubDirectory();
        return TrustedList.RemoveAsync(key, cancellationToken);
    }

    private string TrustKeyOf(string repo)
        => GitUrls.IsOwnerPattern(repo) ? GitUrls.OwnerKey(repo, Settings.GitBaseUrl, "The owner")
           : Pipeline.Parse(repo).Trust?.Key
           ?? throw new HubException($"{repo.Trim()} is a local folder: local folders are always trusted, and the trusted list holds git repos and packages (nuget:Id).");
}
