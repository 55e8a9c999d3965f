using HubHost.Nn;
using HubHost.Nn.Checkpoints;

namespace HubHost;

/// <summary>
/// Serves <see cref="PretrainedWeights"/> calls of the repos a hub calls: the checkpoint is downloaded into
/// that hub's checkpoints folder (hash-checked, cached, shared between processes) and read by HubHost.Nn.
/// </summary>
internal sealed class HubWeightsProvider(HubClient hub) : IWeightsProvider
{
    public OrderedDictionary<string, Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true)
        => hub.LoadStateDictFromUrlAsync(url, fileName: fileName, checkHash: checkHash).GetAwaiter().GetResult();
}
