using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using HubHost.Building;
using HubHost.Entrypoints;
using HubHost.Loading;
using HubHost.Native;
using HubHost.Sources;
using HubHost.Storage;
using Microsoft.Extensions.Logging;

namespace HubHost;

/// <summary>
/// One loaded repo version: its own collectible AssemblyLoadContext and entrypoints. Loads of the same
/// version share it. <see cref="Dispose"/> unloads it: the context is collected once nobody
/// holds objects it made.
/// </summary>
public sealed class HubRepo : IDisposable
{
    private readonly ILogger _logger;
    private readonly Action<HubRepo> _forget;
    private readonly bool _usesTorchSharp;
    private RepoLoadContext? _context;
    private EntrypointCatalog? _catalog;
    private IDisposable? _lease;

    /// <param name="snapshot">The version loaded.</param>
    /// <param name="build">Its build (or package layout).</param>
    /// <param name="loaded">Its main assembly in its load context, and its entrypoints.</param>
    /// <param name="lease">Its content lease, now this object's: let go on release.</param>
    /// <param name="logger">Where a context that outlives its release is reported.</param>
    /// <param name="forget">Called on release, so the hub that loaded it stops handing it out.</param>
    internal HubRepo(RepoSnapshot snapshot, RepoBuild build, LoadedAssembly loaded, IDisposable lease, ILogger logger, Action<HubRepo> forget)
    {
        _logger = logger;
        _forget = forget;
        _usesTorchSharp = loaded.UsesTorchSharp;
        _context = loaded.Context;
        _catalog = loaded.Catalog;
        _lease = lease;
        Name = snapshot.DisplayName;
        Version = snapshot.Version;
        ContentKey = snapshot.ContentKey.ToString();
        Build = build;
        BuildDirectory = build.Directory;
        SourceDirectory = snapshot.Directory;
        LoadContextName = loaded.Context.Name!;
    }

    /// <summary>The repo as it was named (a folder or git repo).</summary>
    public string Name { get; }

    /// <summary>The version loaded: a commit prefix for git, a content hash prefix for a folder.</summary>
    public string Version { get; }

    /// <summary>The full commit or content hash this version is.</summary>
    public string ContentKey { get; }

    /// <summary>The build folder in the hub cache.</summary>
    public string BuildDirectory { get; }

    /// <summary>
    /// The folder holding this version's files (the local folder, or the git checkout of its commit in the hub cache),
    /// e.g. to read its README.md. Treat it as read-only.
    /// </summary>
    public string SourceDirectory { get; }

    /// <summary>The name of its AssemblyLoadContext (<c>repo@version</c>).</summary>
    public string LoadContextName { get; }

    /// <summary>What the repo says of its entrypoints in <c>hubconf.catalog.json</c> (read on first access).</summary>
    public RepoCards Cards => _cards ??= RepoCards.Read(SourceDirectory, Entrypoints.Select(e => e.Name));

    private RepoCards? _cards;

    /// <summary>The entrypoints, in declaration order (their doc comments are read on first access).</summary>
    public IReadOnlyList<EntrypointInfo> Entrypoints => _entrypoints ??= Catalog().All.Select(e => e.Info).ToList();

    private IReadOnlyList<EntrypointInfo>? _entrypoints;

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    internal bool IsReleased => Volatile.Read(ref _context) is null;

    /// <summary>The load context (for tests proving it is collected).</summary>
    internal AssemblyLoadContext? LoadContext => _context;

    internal string BuildKey => Path.GetFileName(BuildDirectory);

    /// <summary>
    /// Takes <paramref name="lease"/> (a later load's lease on the same content) when this version holds none any more: the load
    /// that made it gave up while the shared work went on, and its lease went with it.
    /// </summary>
    internal void AdoptLease(VersionLease lease)
    {
        if (IsReleased || Volatile.Read(ref _lease) is VersionLease { Key: not null }) return;
        var taken = lease.Transfer();
        if (taken.Key is null || Interlocked.Exchange(ref _lease, taken) is not { } old) return;
        old.Dispose();
    }

    /// <summary>What was loaded: the build folder, its main assembly and its copy of the repo's files.</summary>
    internal RepoBuild Build { get; }

    /// <summary>Whether the repo's main assembly references TorchSharp (libtorch is loaded before the first call into it).</summary>
    internal bool UsesTorchSharp => _usesTorchSharp;

    /// <summary>The repo's Hubconf class and its entrypoints' methods (for <c>hubhost check</c>'s rules).</summary>
    internal EntrypointCatalog EntrypointCatalog => Catalog();

    /// <summary>The help of one entrypoint (signature and doc comment).</summary>
    public string Help(string entrypoint) => Catalog().Find(Name, entrypoint).Info.Help;

    /// <summary>Calls an entrypoint (awaiting it if it returns a Task) and returns its result.</summary>
    /// <exception cref="HubException">Unknown entrypoint, arguments that don't bind, or the entrypoint threw (as the inner exception).</exception>
    public async Task<object?> InvokeAsync(string entrypoint, object? arguments = null, CancellationToken cancellationToken = default)
    {
        var target = Catalog().Find(Name, entrypoint);
        var values = target.Bind(HubArguments.From(arguments), cancellationToken);
        // libtorch is loaded before the first call into a repo that uses TorchSharp (not to list or describe it:
        // that costs ~0.2 s), so a native library that cannot load is one clear error here, not TorchSharp's
        // trace from inside the entrypoint.
        if (_usesTorchSharp) TorchNative.EnsureLoaded();
        object? result;
        try
        {
            result = target.Method.Invoke(null, values);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw Failed(target, e.InnerException);
        }
        if (result is Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                throw Failed(target, e);
            }
            var type = task.GetType();
            result = type.IsGenericType && type.GetProperty("Result") is { } property && property.PropertyType.Name != "VoidTaskResult"
                ? property.GetValue(task)
                : null;
        }
        return result;
    }

    private HubException Failed(Entrypoint target, Exception e)
    {
        if (e is HubException hub) ExceptionDispatchInfo.Capture(hub).Throw();
        return new HubException($"The entrypoint {target.Name} of {Name} ({Version}) failed: {e.GetType().Name}: {e.Message}", e);
    }

    /// <summary>
    /// Unloads this version (releases it): later loads build a new context; objects already made keep working until dropped.
    /// Every open of this version returns this same object, so disposing it releases it for every holder.
    /// </summary>
    public void Dispose()
    {
        var context = Interlocked.Exchange(ref _context, null);
        if (context is null) return;
        _catalog = null;
        _forget(this);
        ReleasedContexts.ForgetTypes(context);
        context.Unload();
        ReleasedContexts.Watch(context, LoadContextName, _logger);
        Interlocked.Exchange(ref _lease, null)?.Dispose(); // cache rm/prune may remove its files from now on
    }

    private EntrypointCatalog Catalog()
        => Volatile.Read(ref _catalog) ?? throw new HubException($"{Name} ({Version}) was released; load it again.");
}
