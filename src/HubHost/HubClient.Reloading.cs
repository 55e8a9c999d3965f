using HubHost.Reloading;

namespace HubHost;

public sealed partial class HubClient
{
    /// <summary>
    /// Loads a repo, calls an entrypoint and returns a handle that can reload it (on demand with
    /// <see cref="ReloadableEntrypoint{T}.ReloadAsync"/>, or every <see cref="ReloadOptions.PollInterval"/>) while the
    /// old version keeps serving until the new one is ready. Same as <see cref="ReloadableEntrypoint{T}.CreateAsync"/>.
    /// </summary>
    /// <typeparam name="T">What the entrypoint returns, as the host sees it.</typeparam>
    /// <param name="repo">A local folder, <c>owner/name[:ref]</c>, a git URL with <c>#ref</c>, or <c>nuget:Id@range</c> (a reload takes the highest version in the range).</param>
    /// <param name="entrypoint">The entrypoint to call on each version.</param>
    /// <param name="arguments">Its arguments, as for <see cref="LoadAsync(string, string, object?, HubLoadOptions?, CancellationToken)"/>.</param>
    /// <param name="options">Polling and trust; null to reload on demand only.</param>
    /// <param name="cancellationToken">Stops the first load.</param>
    public Task<ReloadableEntrypoint<T>> CreateReloadableAsync<T>(string repo, string entrypoint, object? arguments = null, ReloadOptions? options = null, CancellationToken cancellationToken = default)
        => ReloadableEntrypoint<T>.CreateAsync(this, repo, entrypoint, arguments, options, cancellationToken);
}
