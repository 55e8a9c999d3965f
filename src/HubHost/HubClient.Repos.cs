using HubHost.Entrypoints;
using HubHost.Building;
using HubHost.Locking;
using HubHost.Downloads;
using HubHost.Storage;
using HubHost.Loading;
using HubHost.Sources;
using HubHost.Trust;

namespace HubHost;

public sealed partial class HubClient
{
    private HubPipeline? _pipeline;

    /// <summary>The pipeline every load goes through (parse, trust, resolve, make loadable, load).</summary>
    internal HubPipeline Pipeline => LazyInitializer.EnsureInitialized(ref _pipeline, () => new HubPipeline(this));

    /// <summary>
    /// Resolves, builds (once per version) and loads a repo: a local folder, a git repo
    /// (<c>owner/name[:ref]</c>, a git URL with <c>#ref</c>), or a prebuilt hub package from a NuGet feed
    /// (<c>nuget:Id[@version-or-range]</c>, made by <c>hubhost pack</c>; loaded with no build). Repeat calls return the
    /// same loaded version.
    /// </summary>
    /// <remarks>With <see cref="HubLoadOptions.Lock"/>, exactly the locked version, packages and weights (see there).</remarks>
    public Task<HubRepo> OpenAsync(string repo, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
        => Pipeline.OpenAsync(repo, options, cancellationToken);

    /// <summary>
    /// Parses a repo string and checks the trusted list, without fetching, building or asking anyone: for tools that
    /// show repos (such as <c>hubhost serve</c>) and must never build one that is not trusted.
    /// </summary>
    /// <exception cref="HubException">The string is not a local folder path or a git source.</exception>
    public HubSourceInfo DescribeSource(string repo)
    {
        var source = Pipeline.Parse(repo);
        var trust = source.Trust;
        return new HubSourceInfo(repo.Trim(), trust is null, source.RepoName, source.Ref, trust is null || TrustedList.Contains(trust.Key)) { TrustKey = trust?.Key };
    }

    /// <summary>This client's trusted list (torch.hub's trusted_list file in the hub directory).</summary>
    internal TrustedList TrustedList => new(HubDirectory, [.. Settings.TrustedOwners]);

    /// <summary>How many <c>dotnet build</c>s this client started (tests prove a package load builds nothing).</summary>
    internal int BuildsStarted => _pipeline?.BuildsStarted ?? 0;

    /// <summary>The entrypoints of a repo (torch.hub.list).</summary>
    public async Task<IReadOnlyList<EntrypointInfo>> ListAsync(string repo, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
        => (await OpenAsync(repo, options, cancellationToken).ConfigureAwait(false)).Entrypoints;

    /// <summary>The help of an entrypoint: signature and doc comment (torch.hub.help).</summary>
    public async Task<string> HelpAsync(string repo, string entrypoint, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
        => (await OpenAsync(repo, options, cancellationToken).ConfigureAwait(false)).Help(entrypoint);

    /// <summary>
    /// Loads a repo and calls an entrypoint (torch.hub.load). <paramref name="arguments"/>: null,
    /// <c>new { pretrained = true }</c>, a dictionary, an <c>object[]</c> of positional values, or <see cref="HubArguments"/>.
    /// </summary>
    public async Task<object?> LoadAsync(string repo, string entrypoint, object? arguments = null, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var loaded = await OpenAsync(repo, options, cancellationToken).ConfigureAwait(false);
        return await loaded.InvokeAsync(entrypoint, arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Like <see cref="LoadAsync(string, string, object?, HubLoadOptions?, CancellationToken)"/>, returning the result as <typeparamref name="T"/>.</summary>
    public async Task<T> LoadAsync<T>(string repo, string entrypoint, object? arguments = null, HubLoadOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = await LoadAsync(repo, entrypoint, arguments, options, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            T typed => typed,
            null when default(T) is null => default!,
            _ => throw new HubException($"The entrypoint {entrypoint} of {repo} returned {(result is null ? "null" : result.GetType().FullName)}, not {typeof(T).FullName}."
                                        + (result is not null && result.GetType().FullName == typeof(T).FullName
                                            ? " The names match but the types differ: the repo carries its own copy of that assembly instead of sharing the host's."
                                            : "")),
        };
    }

    /// <summary>The repo versions currently loaded.</summary>
    public IReadOnlyList<HubRepo> Loaded => _pipeline?.Loaded ?? [];

    /// <summary>The weights rule of a version this client loaded.</summary>
    private RepoWeights? WeightsOf(HubRepo repo) => _pipeline?.WeightsOf(repo);
}
