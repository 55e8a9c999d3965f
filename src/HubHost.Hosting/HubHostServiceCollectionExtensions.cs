using HubHost;
using HubHost.Hosting;
using HubHost.Reloading;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers HubHost in a Microsoft.Extensions container (ASP.NET Core, worker services):
/// <code>
/// builder.Services.AddHubHost(builder.Configuration.GetSection("HubHost"));
/// builder.Services.AddHubEntrypoint&lt;nn.Module&lt;Tensor, Tensor&gt;&gt;("digits", builder.Configuration.GetSection("Digits"));
/// </code>
/// </summary>
public static class HubHostServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="HubClient"/> (a singleton) built from <c>IOptions&lt;HubOptions&gt;</c>. The options start
    /// from <see cref="HubOptions.FromEnvironment()"/> (the HUBHOST_* variables, as for the command line), then every
    /// configuration applies (<paramref name="configure"/>, <c>services.Configure&lt;HubOptions&gt;</c>, a bound section);
    /// the client takes its services from the container (its <c>ILoggerFactory</c>, a registered <see cref="HubHost.Trust.ITrustPrompt"/>
    /// and <see cref="TimeProvider"/>), and a relative
    /// <see cref="HubOptions.HubDirectory"/> is taken relative to the host's content root (<c>~/</c>: the user's home;
    /// empty: the default). The options are checked when the host starts: a bad one fails the start with the hub's
    /// message. The client is made once, so configuration changed later does not reach it. Disposing the container
    /// releases the repo versions the client still has loaded. Calling this again adds <paramref name="configure"/> only.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configure">Sets options in code (after the environment and any configuration registered before it); null for none.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddHubHost(this IServiceCollection services, Action<HubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<HubOptions>();
        if (!services.Any(d => d.ServiceType == typeof(HubClientOwner)))
        {
            options.ValidateOnStart();
            services.AddTransient<IOptionsFactory<HubOptions>, HubOptionsFactory>();
            services.AddSingleton<IPostConfigureOptions<HubOptions>, HubOptionsDefaults>();
            services.AddSingleton<IValidateOptions<HubOptions>, HubOptionsValidation>();
            services.AddSingleton<HubClientOwner>();
            services.TryAddSingleton(sp => sp.GetRequiredService<HubClientOwner>().Client);
        }
        if (configure is not null) options.Configure(configure);
        return services;
    }

    /// <summary>
    /// Like <see cref="AddHubHost(IServiceCollection, Action{HubOptions}?)"/>, binding <see cref="HubOptions"/> from a
    /// configuration section (<c>builder.Configuration.GetSection("HubHost")</c>): property names as keys, times as
    /// <c>"00:00:30"</c>, flags as <c>true</c>/<c>false</c>. Keys in the section override the HUBHOST_* variables.
    /// </summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The section with the <see cref="HubOptions"/> properties.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddHubHost(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddHubHost();
        BindExplained(services.AddOptions<HubOptions>(), configuration);
        return services;
    }

    /// <summary>
    /// Binds a section like <c>OptionsBuilder.Bind</c>, with the binder's error for a value of the wrong type (a
    /// PollInterval of "banana") turned into one HubException naming the key, which the host start fails with.
    /// </summary>
    private static OptionsBuilder<TOptions> BindExplained<TOptions>(OptionsBuilder<TOptions> builder, IConfiguration configuration) where TOptions : class
    {
        builder.Services.AddSingleton<IOptionsChangeTokenSource<TOptions>>(new ConfigurationChangeTokenSource<TOptions>(builder.Name, configuration));
        return builder.Configure(options =>
        {
            try
            {
                configuration.Bind(options);
            }
            catch (InvalidOperationException e)
            {
                throw new HubException($"{e.Message.TrimEnd('.')}. Give a value of that type (a time as 00:05:00, a flag as true or false, a number as 30), or remove the key.", e);
            }
        });
    }

    /// <summary>
    /// Adds a hosted hot-reload handle: while the host starts (before any hosted service's <c>StartAsync</c>) the
    /// container's <see cref="HubClient"/> loads the entrypoint (<see cref="HubHost.Reloading.ReloadableEntrypoint{T}.CreateAsync(HubClient, string, string, object?, HubHost.Reloading.ReloadOptions?, CancellationToken)"/>), and
    /// once every hosted service has stopped the handle is disposed and its repo released. A first load that fails
    /// fails the host start with the hub's message. Consumers take
    /// <c>[FromKeyedServices(name)] HubEntrypoint&lt;T&gt;</c> (any time) or, once the host has started,
    /// <c>[FromKeyedServices(name)] ReloadableEntrypoint&lt;T&gt;</c>. Registers the hub too
    /// (<see cref="AddHubHost(IServiceCollection, Action{HubOptions}?)"/>) if it is not yet.
    /// </summary>
    /// <typeparam name="T">What the entrypoint returns, as the host sees it (such as <c>nn.Module&lt;Tensor, Tensor&gt;</c>).</typeparam>
    /// <param name="services">The container.</param>
    /// <param name="name">The service key and options name, unique per <typeparamref name="T"/>.</param>
    /// <param name="configure">Sets the repo, entrypoint, arguments, polling and trust.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentException">An entrypoint of that name and type was already added.</exception>
    public static IServiceCollection AddHubEntrypoint<T>(this IServiceCollection services, string name, Action<HubEntrypointOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        AddEntrypoint<T>(services, name).Configure(configure);
        return services;
    }

    /// <summary>
    /// Like <see cref="AddHubEntrypoint{T}(IServiceCollection, string, Action{HubEntrypointOptions})"/>, binding
    /// <see cref="HubEntrypointOptions"/> from a configuration section:
    /// <c>{ "Repo": "./my-hub", "Entrypoint": "resnet18", "Arguments": { "pretrained": "true" }, "PollInterval": "00:05:00", "TrustRepo": "Check" }</c>.
    /// </summary>
    /// <typeparam name="T">What the entrypoint returns, as the host sees it.</typeparam>
    /// <param name="services">The container.</param>
    /// <param name="name">The service key and options name, unique per <typeparamref name="T"/>.</param>
    /// <param name="configuration">The section with the <see cref="HubEntrypointOptions"/> properties.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentException">An entrypoint of that name and type was already added.</exception>
    public static IServiceCollection AddHubEntrypoint<T>(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        BindExplained(AddEntrypoint<T>(services, name), configuration);
        return services;
    }

    private static OptionsBuilder<HubEntrypointOptions> AddEntrypoint<T>(IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.IsKeyedService && d.ServiceType == typeof(HubEntrypoint<T>) && Equals(d.ServiceKey, name)))
            throw new ArgumentException($"A hub entrypoint named '{name}' returning {typeof(T).Name} was already added; give each one its own name.", nameof(name));
        services.AddHubHost();
        services.AddKeyedSingleton(name, (_, _) => new HubEntrypoint<T>(name));
        services.AddKeyedSingleton<ReloadableEntrypoint<T>>(name, (sp, key) => sp.GetRequiredKeyedService<HubEntrypoint<T>>(key).Handle);
        services.AddSingleton<IHostedService>(sp => new HubEntrypointService<T>(name, sp));
        return services.AddOptions<HubEntrypointOptions>(name)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Repo),
                $"The hub entrypoint '{name}' has no Repo: give a local folder (./my-hub), owner/name[:ref], a git URL or nuget:Id@range.")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Entrypoint),
                $"The hub entrypoint '{name}' has no Entrypoint: give the name of a public static method of the repo's Hubconf.")
            .Validate(o => o.PollInterval is not { } interval || interval > TimeSpan.Zero,
                $"The hub entrypoint '{name}' has a PollInterval of zero or less: give a positive time such as 00:05:00, or none to reload on demand only.")
            .ValidateOnStart();
    }
}
