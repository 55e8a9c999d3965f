using HubHost.Reloading;

namespace HubHost.Hosting;

/// <summary>
/// The hosted entrypoint named <see cref="Name"/>, as a keyed service
/// (<c>[FromKeyedServices("digits")] HubEntrypoint&lt;nn.Module&lt;Tensor, Tensor&gt;&gt; digits</c>): resolvable at any
/// time, so a hosted service can take it in its constructor; its <see cref="Handle"/> is there from host start to
/// host stop.
/// </summary>
/// <remarks>
/// The entrypoint is loaded while the host is starting, before any hosted service's <c>StartAsync</c> (so before a
/// <c>BackgroundService</c>'s <c>ExecuteAsync</c> runs), and the handle is disposed — its repo released — after every
/// hosted service has stopped. Once started, the handle is also a keyed service itself
/// (<c>[FromKeyedServices("digits")] ReloadableEntrypoint&lt;T&gt;</c>, for request handlers). As with any
/// <see cref="ReloadableEntrypoint{T}"/>, use the value through <see cref="ReloadableEntrypoint{T}.UseAsync{TResult}"/>
/// or <see cref="ReloadableEntrypoint{T}.Acquire"/> and don't keep it across reloads.
/// </remarks>
/// <typeparam name="T">What the entrypoint returns, as the host sees it (a TorchSharp module, a tokenizer...).</typeparam>
public sealed class HubEntrypoint<T>
{
    private volatile ReloadableEntrypoint<T>? _handle;

    internal HubEntrypoint(string name) => Name = name;

    /// <summary>The name it was added with (its service key and named options).</summary>
    public string Name { get; }

    /// <summary>The hot-reload handle of the loaded entrypoint.</summary>
    /// <exception cref="InvalidOperationException">The host has not started yet, or has stopped.</exception>
    public ReloadableEntrypoint<T> Handle => _handle ?? throw new InvalidOperationException(
        $"The hub entrypoint '{Name}' is not loaded: it loads while the host starts (before any hosted service's StartAsync) " +
        "and is released when the host stops. Use it from ExecuteAsync or a request, not from a constructor.");

    internal void Set(ReloadableEntrypoint<T> handle) => _handle = handle;

    internal ReloadableEntrypoint<T>? Take() => Interlocked.Exchange(ref _handle, null);
}
