using System.ComponentModel;
using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.Loader;
using Microsoft.Extensions.Logging;

namespace HubHost.Loading;

/// <summary>
/// What the hub does for a load context it releases: drops TypeDescriptor's caches of the context's types (the
/// framework keeps them in static tables, so a repo whose serializer asked it about its own types, as
/// Newtonsoft.Json does for every contract, would stay loaded forever), and watches whether the context is
/// collected, warning once when it outlives many full collections.
/// </summary>
internal static class ReleasedContexts
{
    /// <summary>Full (gen 2) collections after the release after which a context still alive is reported.</summary>
    private const int CollectionsBeforeWarning = 10;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a released context is watched; a process that never collects in that time is not warned about.</summary>
    private static readonly TimeSpan WatchFor = TimeSpan.FromMinutes(10);

    /// <summary>
    /// TypeDescriptor's cache-clearing entry point, the one .NET hot reload calls (its assembly's
    /// [MetadataUpdateHandler] ClearCache(Type[])): it refreshes the given types and clears the reflection caches.
    /// </summary>
    private static readonly Lazy<MethodInfo?> ClearTypeDescriptorCaches = new(() =>
        typeof(TypeDescriptor).Assembly.GetCustomAttributes<MetadataUpdateHandlerAttribute>()
            .Select(a => a.HandlerType.GetMethod("ClearCache", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(Type[])]))
            .FirstOrDefault(m => m is not null));

    /// <summary>
    /// TypeDescriptor's per-type tables that hot reload's ClearCache leaves alone: which types have their default
    /// provider set up, and which provider node describes a type. Both hold the Type strongly (ConcurrentDictionary
    /// in .NET 8-10) and no public API removes an entry.
    /// </summary>
    private static readonly string[] TypeKeyedTables = ["s_defaultProviderInitialized", "s_providerTypeTable"];

    /// <summary>
    /// Forgets the context's types in TypeDescriptor's caches. Best effort, and tied to the framework's internals:
    /// when a handler or a table is not found nothing happens, the context may then stay alive, and
    /// <see cref="Watch"/> says so.
    /// </summary>
    public static void ForgetTypes(AssemblyLoadContext context)
    {
        const BindingFlags flags = BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance;
        try
        {
            // TypeDescriptor sets up a type's default provider the first time it is asked about it: when none of
            // the context's types is in that table, the repo never used it and its global caches are left alone.
            var initialized = typeof(TypeDescriptor).GetField(TypeKeyedTables[0], flags)?.GetValue(null) as System.Collections.IDictionary;
            if (initialized is not null && !initialized.Keys.Cast<object>().Any(k => Belongs(k, context))) return;
            var types = context.Assemblies.SelectMany(TypesOf).ToArray();
            if (types.Length == 0) return;
            ClearTypeDescriptorCaches.Value?.Invoke(null, [types]);
            foreach (var name in TypeKeyedTables) Purge(typeof(TypeDescriptor).GetField(name, flags)?.GetValue(null), context);
            // The reflection provider that describes every type by default (the one registered for object): its per-type data.
            var node = TypeDescriptor.GetProvider(typeof(object));
            var provider = node.GetType().GetField("Provider", flags)?.GetValue(node);
            Purge(provider?.GetType().GetField("_typeData", flags)?.GetValue(provider), context);
            Purge(provider?.GetType().GetField("s_attributeCache", flags)?.GetValue(null), context);
        }
        catch (Exception e) when (e is TargetInvocationException or InvalidOperationException or NotSupportedException or FieldAccessException)
        {
            // A cache we could not clear keeps the context alive; Watch reports it.
        }
    }

    /// <summary>Starts watching <paramref name="context"/> (released just now): a warning naming <paramref name="name"/> if it is still alive after many full collections.</summary>
    public static void Watch(AssemblyLoadContext context, string name, ILogger logger)
    {
        if (!logger.IsEnabled(LogLevel.Warning)) return;
        var weak = new WeakReference(context); // only this: the watch must not keep it alive itself
        _ = WatchAsync(weak, name, logger, GC.CollectionCount(2));
    }

    private static async Task WatchAsync(WeakReference context, string name, ILogger logger, int collectionsAtRelease)
    {
        var until = DateTime.UtcNow + WatchFor;
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(PollInterval).ConfigureAwait(false);
            if (!context.IsAlive) return;
            var collections = GC.CollectionCount(2) - collectionsAtRelease;
            if (collections < CollectionsBeforeWarning) continue;
            logger.LogWarning(
                "{Version} was released but its load context is still alive after {Collections} full garbage collections: something still " +
                "references an object or a type it made (a value the app kept, an event handler, a thread, or a static cache such as a " +
                "serializer's), so its assemblies stay in memory. Drop those references to let it unload.", name, collections);
            return;
        }
    }

    /// <summary>Removes the keys that are types of <paramref name="context"/> from a table (a ConcurrentDictionary or Hashtable keyed by Type).</summary>
    private static void Purge(object? table, AssemblyLoadContext context)
    {
        if (table is not System.Collections.IDictionary dictionary) return;
        // A ConcurrentDictionary is safe as it is (and refuses SyncRoot); a Hashtable is locked on its SyncRoot.
        var gate = dictionary is System.Collections.Hashtable ? dictionary.SyncRoot : new object();
        lock (gate)
        {
            var doomed = dictionary.Keys.Cast<object>().Where(k => Belongs(k, context)).ToList();
            foreach (var key in doomed) dictionary.Remove(key);
        }
    }

    /// <summary>Whether a table key is a type of <paramref name="context"/>, or made from one (List&lt;T&gt; of it, an array of it).</summary>
    private static bool Belongs(object key, AssemblyLoadContext context)
        => key is Type { IsCollectible: true } type
           && (AssemblyLoadContext.GetLoadContext(type.Assembly) == context
               || (type.HasElementType && Belongs(type.GetElementType()!, context))
               || (type.IsConstructedGenericType && type.GenericTypeArguments.Any(a => Belongs(a, context))));

    private static IEnumerable<Type> TypesOf(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }
}
