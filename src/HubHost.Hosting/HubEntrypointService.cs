using HubHost.Locking;
using HubHost.Reloading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace HubHost.Hosting;

/// <summary>
/// Loads one <see cref="HubEntrypoint{T}"/> while the host starts and disposes its handle once every hosted service
/// has stopped (or when the container is disposed, if the host never stopped).
/// </summary>
internal sealed class HubEntrypointService<T>(string name, IServiceProvider services) : IHostedLifecycleService, IDisposable
{
    private readonly HubEntrypoint<T> _entry = services.GetRequiredKeyedService<HubEntrypoint<T>>(name);

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptionsMonitor<HubEntrypointOptions>>().Get(name);
        var hub = services.GetRequiredService<HubClient>();
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("HubHost.Hosting");
        var repo = HubPaths.FromContentRoot(options.Repo!, services.GetService<IHostEnvironment>());
        var arguments = options.Arguments.Count == 0 ? null : options.Arguments.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        ReloadableEntrypoint<T> handle;
        try
        {
            var hubLock = options.LockFile is { Length: > 0 } lockFile ? HubLock.Load(HubPaths.ConfiguredFile(lockFile, services.GetService<IHostEnvironment>())) : null;
            handle = await ReloadableEntrypoint<T>.CreateAsync(hub, repo, options.Entrypoint!, arguments,
                new ReloadOptions { PollInterval = options.PollInterval, TrustRepo = options.TrustRepo, Lock = hubLock }, cancellationToken).ConfigureAwait(false);
        }
        catch (HubException e)
        {
            throw new HubException($"The hub entrypoint '{name}' did not load: {e.Message}", e);
        }
        _entry.Set(handle);
        logger.LogInformation("Hub entrypoint {Name}: {Entrypoint} of {Repo} ({Version}) loaded{Locked}{Polling}", name, options.Entrypoint, repo, handle.Version,
            options.LockFile is { Length: > 0 } locked ? $" as locked in {locked}" : "", options.PollInterval is { } interval ? $", reloading every {interval}" : "");
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>After every hosted service's StopAsync: nothing uses the entrypoint any more.</summary>
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose() => _entry.Take()?.Dispose();
}
