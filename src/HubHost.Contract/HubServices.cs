using System.Runtime.Loader;

namespace HubHost.Contract;

/// <summary>Where a hub repo finds the <see cref="IHubServices"/> of the hub that loaded it.</summary>
public static class HubServices
{
    /// <summary>
    /// The services for the repo that defines <paramref name="repoType"/> (any type of the repo, usually
    /// <c>typeof(Hubconf)</c>). The hub gives each repo version its own load context, and that context serves
    /// the repo; valid for as long as the repo's objects live, not only during an entrypoint call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The type was not loaded by a hub (e.g. the repo's code was compiled into a test); the message says what to do.</exception>
    public static IHubServices For(Type repoType)
    {
        ArgumentNullException.ThrowIfNull(repoType);
        return AssemblyLoadContext.GetLoadContext(repoType.Assembly) as IHubServices
            ?? throw new InvalidOperationException(
                $"{repoType.Assembly.GetName().Name} was not loaded by a HubHost hub, so nobody serves its hub services. " +
                "Load the repo through HubHost (Hub.Load or HubClient), which gives each repo version a load context that does.");
    }
}
