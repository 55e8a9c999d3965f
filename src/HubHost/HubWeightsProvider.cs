using HubHost.Nn;

namespace HubHost;

/// <summary>Serves <see cref="PretrainedWeights"/> calls of the repos a hub calls: downloads into that hub's checkpoints folder.</summary>
internal sealed class HubWeightsProvider(HubClient hub) : IWeightsProvider
{
    public OrderedDictionary<string, Tensor> LoadStateDictFromUrl(string url, string? fileName = null, bool checkHash = true)
        => throw new HubException($"Downloading pretrained weights ({url}) is not available in this build of the hub ({hub.HubDirectory}).");
}
