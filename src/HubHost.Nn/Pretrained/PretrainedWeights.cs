namespace HubHost.Nn;

/// <summary>
/// Fetches a state dict from a URL for an entrypoint's <c>pretrained: true</c> (torch.hub's
/// load_state_dict_from_url as seen from a hubconf). Plugins only see this contract; the hub that calls the
/// entrypoint provides the download, hash check and cache.
/// </summary>
public interface IWeightsProvider
{
    /// <summary>Downloads (or takes from the cache) the checkpoint at <paramref name="url"/> and reads its state dict.</summary>
    /// <param name="url">Where the checkpoint is published.</param>
    /// <param name="fileName">Name in the cache; null: the last segment of the URL.</param>
    /// <param name="checkHash">Check the file name's hash prefix (torch.hub's <c>-&lt;hex&gt;.</c> convention).</param>
    OrderedDictionary<string, Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true);
}

/// <summary>Entry point for hub repos that offer pretrained weights.</summary>
public static class PretrainedWeights
{
    private static readonly AsyncLocal<IWeightsProvider?> Ambient = new();
    private static IWeightsProvider? _processDefault;

    /// <summary>
    /// Loads a state dict from <paramref name="url"/> through the hub that is calling the entrypoint
    /// (or the process default set with <see cref="SetDefaultProvider"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">No hub is providing weights (the repo was called outside HubHost).</exception>
    public static OrderedDictionary<string, Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true)
    {
        var provider = Ambient.Value ?? Volatile.Read(ref _processDefault)
            ?? throw new InvalidOperationException(
                $"No weights provider: pretrained weights from {url} are downloaded by the hub that calls the entrypoint. " +
                "Load this entrypoint through HubHost (Hub.Load), or call PretrainedWeights.SetDefaultProvider first.");
        return provider.LoadStateDictFromUrl(url, fileName, checkHash);
    }

    /// <summary>Makes <paramref name="provider"/> serve the current async flow until the returned scope is disposed.</summary>
    public static IDisposable Use(IWeightsProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        var previous = Ambient.Value;
        Ambient.Value = provider;
        return new Scope(previous);
    }

    /// <summary>Sets the provider used outside any <see cref="Use"/> scope (null to clear).</summary>
    public static void SetDefaultProvider(IWeightsProvider? provider) => Volatile.Write(ref _processDefault, provider);

    private sealed class Scope(IWeightsProvider? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
