using HubHost.Checking;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Checks that a hub repo is ready for its users, as a publisher does before tagging and in CI (<c>hubhost check</c>):
    /// it builds as users get it; it has a README and a valid <c>hubconf.catalog.json</c>; every entrypoint has a summary
    /// and every parameter a description, and nothing else in Hubconf is public; every entrypoint loads with its defaults
    /// (and with <see cref="CheckOptions.Pretrained"/>, with its pretrained weights: URLs reachable, hash-named, hashes
    /// matching) and returns what its signature says; models come back in training mode and run on the example input their
    /// card declares; outputs match the golden files of <see cref="CheckOptions.GoldenDirectory"/>. A failure is a finding
    /// in the report, not an exception. The repo version stays loaded in this client, as after <see cref="OpenAsync(string, HubLoadOptions?, CancellationToken)"/>;
    /// what its entrypoints made is disposed.
    /// </summary>
    /// <param name="repo">The repo, as for <see cref="OpenAsync(string, HubLoadOptions?, CancellationToken)"/>.</param>
    /// <param name="options">What to check beyond the defaults; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    public async Task<CheckReport> CheckAsync(string repo, CheckOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        options ??= new CheckOptions();
        var checker = new RepoChecker(options, TimeProvider);
        HubRepo opened;
        try
        {
            // With --pretrained every cached weights file is re-hashed in full (a file damaged on disk is downloaded again), so
            // the hashes a check passes are those of the bytes users get.
            opened = await OpenAsync(repo, options.Pretrained ? (options.Load ?? HubLoadOptions.Default) with { Verify = true } : options.Load, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException e) when (!cancellationToken.IsCancellationRequested)
        {
            var source = DescribeSource(repo);
            return checker.NotBuilt(repo.Trim(), source.IsLocal && Directory.Exists(source.RepoName) ? source.RepoName : null, e);
        }
        return await checker.CheckAsync(repo.Trim(), opened, cancellationToken).ConfigureAwait(false);
    }
}
