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

/// <summary>After every configure: the container's logging unless the app set a logger factory; the hub directory made absolute (empty: the default).</summary>
internal sealed class HubOptionsDefaults(IServiceProvider services) : IPostConfigureOptions<HubOptions>
{
    public void PostConfigure(string? name, HubOptions options)
    {
        options.LoggerFactory ??= services.GetService<ILoggerFactory>();
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
    /// <summary>The hub: its settings from the options, its clock from the container when it has one (as Microsoft.Extensions' services take theirs).</summary>
    public HubClient Client { get; } = new(options.Value, (TimeProvider?)services.GetService(typeof(TimeProvider)));

    public void Dispose()
    {
        foreach (var repo in Client.Loaded) repo.Release();
    }
}
