using HubHost.Trust;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HubHost.Hosting;

/// <summary>
/// Creates <see cref="HubOptions"/> from <see cref="HubOptions.FromEnvironment()"/> (the HUBHOST_* variables the
/// command line reads) before any configuration applies, whatever order the app registered things in: the
/// configuration section and <c>configure</c> delegates override the variables.
/// </summary>
internal sealed class HubOptionsFactory(
    IEnumerable<IConfigureOptions<HubOptions>> setups,
    IEnumerable<IPostConfigureOptions<HubOptions>> postConfigures,
    IEnumerable<IValidateOptions<HubOptions>> validations)
    : OptionsFactory<HubOptions>(setups, postConfigures, validations)
{
    protected override HubOptions CreateInstance(string name) => HubOptions.FromEnvironment();
}

/// <summary>After every configure: the hub directory made absolute (empty: the default).</summary>
internal sealed class HubOptionsDefaults(IServiceProvider services) : IPostConfigureOptions<HubOptions>
{
    public void PostConfigure(string? name, HubOptions options)
    {
        options.HubDirectory = string.IsNullOrWhiteSpace(options.HubDirectory)
            ? null
            : HubPaths.HubDirectory(options.HubDirectory, services.GetService<IHostEnvironment>());
    }
}

/// <summary>The hub's own checks (a client's constructor): a bad option fails the host start with the hub's message.</summary>
internal sealed class HubOptionsValidation : IValidateOptions<HubOptions>
{
    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        try
        {
            _ = new HubClient(options);
            return ValidateOptionsResult.Success;
        }
        catch (HubException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}

/// <summary>The container's one <see cref="HubClient"/>; disposing the container releases the repo versions still loaded.</summary>
internal sealed class HubClientOwner(IOptions<HubOptions> options, IServiceProvider services) : IDisposable
{
    /// <summary>
    /// The hub: its settings from the options, its services from the container (as Microsoft.Extensions' services take theirs):
    /// the container's <see cref="ILoggerFactory"/>, a registered <see cref="ITrustPrompt"/> (none: an untrusted repo is refused),
    /// a registered <see cref="TimeProvider"/> (none: the system clock).
    /// </summary>
    public HubClient Client { get; } = new(options.Value, services.GetService<ILoggerFactory>(), services.GetService<ITrustPrompt>(), services.GetService<TimeProvider>());

    public void Dispose()
    {
        foreach (var repo in Client.Loaded) repo.Dispose();
    }
}
